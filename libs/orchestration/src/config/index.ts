export * from './switchyard-config';
export * from './config.module';
export * from './agents-environment';
export * from './usage-environment';
