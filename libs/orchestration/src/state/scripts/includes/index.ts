import readEntries from './read-entries.lua';
import storedValue from './stored-value.lua';

/** The includes of the state scripts (see withIncludes), by the names their `--- @include` lines use. */
export const STATE_INCLUDES: Readonly<Record<string, string>> = { 'read-entries': readEntries, 'stored-value': storedValue };
