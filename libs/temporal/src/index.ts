export * from './workflow-ref';
export * from './search-attributes';
export * from './temporal-client';
export * from './temporal-worker';
