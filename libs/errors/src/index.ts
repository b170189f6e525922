export * from './error-catalog';
export * from './validation';
export * from './http-error.filter';
