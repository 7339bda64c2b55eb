export * from './switchyard-config';
export * from './config.module';
