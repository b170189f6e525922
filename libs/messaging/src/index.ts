export * from './kafka';
export * from './outbox-relay';
export * from './idempotent-consumer';
export * from './kafkajs-idle-fix';
