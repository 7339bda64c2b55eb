export * from './errors';
export * from './types';
export { ClientOptions, DEFAULT_BASE_URL } from './http-transport';
export { EventStreamOptions } from './session-event-stream';
export { SwitchyardClient, SessionsApi, AgentsApi } from './switchyard-client';
