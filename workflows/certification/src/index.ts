export * from './contract';
export * from './review-contract';
