export * from './access-token';
export * from './auth.guard';
export * from './bootstrap';
export * from './request-context.interceptor';
export * from './background-jobs';
export * from './upload-type';
export * from './runtime-stats';
export * from './uuid';
