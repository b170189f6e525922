export * from './entities';
export * from './business-number';
export * from './outbox';
export * from './data-source';
export * from './snake-naming.strategy';
export * from './sql';
export * from './closing-transaction';
export * from './preparing-client';
