export * from './contract';
export * from './workflow-helper';
