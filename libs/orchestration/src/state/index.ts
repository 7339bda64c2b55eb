export * from './state-handle';
export { SessionState, SessionStateView } from './session-state.service';
export { StateLocks } from './state-locks.service';
export { StateKeys } from './state-keys';
export { mergePatch } from './json-merge-patch';
