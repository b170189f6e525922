export * from './masking';
export * from './context';
export * from './logger';
