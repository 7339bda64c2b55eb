import { luaConstant } from '../../redis/lua-source';
import emit from './includes/emit.lua';

/** Most events a session's stream keeps (approximately; the oldest go first): emit.lua's bound. */
export const EVENTS_MAX = luaConstant(emit, 'EVENTS_MAX');

/** Tasks per script call when a plan's bookkeeping is written (attach-tasks.lua) or expired (expire-session.lua, expire-tasks.lua). */
export const TASK_BATCH = 1000;
