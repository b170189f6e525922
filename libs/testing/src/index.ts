export * from './test-env';
export * from './kafka-probe';
export * from './fake-workbench';
export * from './service-process';
export * from './sample-photos';
export * from './schema-drift';
export * from './time-skipping';
export * from './workflow-histories';
