import budget from './budget.lua';
import emit from './emit.lua';
import expireTasks from './expire-tasks.lua';
import finish from './finish.lua';
import logAppend from './log-append.lua';
import sessionKeys from './session-keys.lua';

/** The includes of the session scripts (see withIncludes), by the names their `--- @include` lines use. */
export const SESSION_INCLUDES: Readonly<Record<string, string>> = {
  budget,
  emit,
  'expire-tasks': expireTasks,
  finish,
  'log-append': logAppend,
  'session-keys': sessionKeys,
};
