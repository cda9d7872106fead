export * from './attributes';
export * from './connector';
export * from './definition-error';
export * from './duration';
export * from './procedure';
export * from './wait-point';
export * from './zod-issues';
