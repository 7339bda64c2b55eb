import appendLog from './append-log.lua';
import emit from './emit.lua';
import sessionKeys from './session-keys.lua';

/** The includes of the session scripts (see withIncludes), by the names their `--- @include` lines use. */
export const SESSION_INCLUDES: Readonly<Record<string, string>> = { 'append-log': appendLog, emit, 'session-keys': sessionKeys };
