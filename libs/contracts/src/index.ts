export * from './events/envelope';
export * from './events/identity';
export * from './events/cases';
export * from './events/workbench';
export * from './events/registry';
export * from './workflow-ref';
export * from './search-attributes';
