import { readdirSync, readFileSync } from 'node:fs';
import { join, relative, sep } from 'node:path';
import { keys, ShardTag } from './keys';
import { luaConstant, LuaIncludeError, luaStrings, withIncludes } from './lua-source';
import { ENTRY_FIELD } from '../log/log-entry';
import { EVENTS_MAX } from '../sessions/scripts/limits';
import { TASK_STATUSES } from '../sessions/session.types';
import { JOB_CHILDREN_SUFFIXES } from '../sessions/scripts/finish-task';
import { JOB_KEY_SUFFIXES } from '../sessions/scripts/expire-tasks';
import emit from '../sessions/scripts/includes/emit.lua';
import logAppend from '../sessions/scripts/includes/log-append.lua';
import sessionKeys from '../sessions/scripts/includes/session-keys.lua';
import setTaskStatus from '../sessions/scripts/set-task-status.lua';
import { IDLE_TASK_STATUSES } from '../sessions/scripts/end-session';

/** What a Lua script's Redis call looks like (kept apart so that this file does not match itself). */
const LUA_CALL = ['redis', 'call('].join('.');

const ROOT = join(__dirname, '..', '..', '..', '..');

function filesUnder(dir: string, suffix: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((name) => name.endsWith(suffix) && !name.split(sep).includes('node_modules'))
    .map((name) => join(dir, name));
}

/** Where Lua and TypeScript live: the code, the benchmark, the examples and the tests (with their fixtures). */
const SOURCE_DIRS = ['libs', 'apps', 'bench', 'examples', 'test'];

const scripts = SOURCE_DIRS.flatMap((dir) => filesUnder(join(ROOT, dir), '.lua'));
const entryScripts = scripts.filter((file) => !file.split(sep).includes('includes'));

describe('the Lua scripts', () => {
  it.each(entryScripts.map((file) => [relative(ROOT, file), file]))('%s opens with a header naming its KEYS, ARGV and reply', (_, file) => {
    const source = readFileSync(file, 'utf8');
    // A flags line (`#!lua flags=no-writes`), which Redis wants first, may come before it.
    const header = /^(?:#!lua[^\n]*\n)?--\[\[\n([\s\S]*?)\n\]\]\n/.exec(source)?.[1];
    expect(header).toBeDefined();
    expect(header).toMatch(/^ {2}(KEYS\[1\]|KEYS: none)/m);
    expect(header).toMatch(/^ {2}(ARGV\[1\]|ARGV: none)/m);
    expect(header).toMatch(/^ {2}Reply: /m);
    // A `]]` inside would end the Lua comment early (the header is a long comment).
    expect(header).not.toContain(']]');
    // Each KEYS[i] a script uses is described in its header.
    for (const [used] of source.slice(header!.length).matchAll(/KEYS\[\d+\]/g)) expect(header).toContain(used);
  });

  it('include only what an includes folder holds', () => {
    const includes = new Set(
      scripts
        .filter((file) => file.split(sep).includes('includes'))
        .map((file) =>
          file
            .split(sep)
            .pop()!
            .replace(/\.lua$/, ''),
        ),
    );
    for (const file of entryScripts) {
      for (const [, name] of readFileSync(file, 'utf8').matchAll(/^--- @include "([a-z0-9-]+)"$/gm)) expect(includes).toContain(name);
    }
  });

  it('are not written in TypeScript strings, tests included (a test loads a .lua fixture)', () => {
    // A script built from a string literal, or any Redis call of Lua's, in a .ts file.
    const inline = new RegExp(`${['new RedisScript', ''].join('\\(\\s*')}['"\`]`);
    const holding = SOURCE_DIRS.flatMap((dir) => filesUnder(join(ROOT, dir), '.ts'))
      .filter((file) => file !== __filename)
      .filter((file) => {
        const source = readFileSync(file, 'utf8');
        return source.includes(LUA_CALL) || inline.test(source);
      })
      .map((file) => relative(ROOT, file).split(sep).join('/'))
      .sort();
    expect(holding).toEqual([]);
  });

  it("build a session's record keys as keys.ts does", () => {
    const tag = '{p-0}' as ShardTag;
    const session = keys.session(tag, 's-1');
    const lua = (name: string, ...args: string[]) => {
      const match = new RegExp(`local function ${name}\\((s(?:, id)?)\\) return s \\.\\. '([^']*)'( \\.\\. id)? end`).exec(sessionKeys);
      if (!match) throw new Error(`session-keys.lua has no function ${name}`);
      return session + match[2] + (match[3] ? args[0] : '');
    };
    expect(lua('tasks_key')).toBe(keys.taskIds(tag, 's-1'));
    expect(lua('shared_key')).toBe(keys.sharedState(tag, 's-1'));
    expect(lua('outputs_key')).toBe(keys.outputs(tag, 's-1'));
    expect(lua('events_key')).toBe(keys.events(tag, 's-1'));
    expect(lua('log_key')).toBe(keys.log(tag, 's-1'));
    expect(lua('task_key', 'a')).toBe(keys.task(tag, 's-1', 'a'));
    expect(lua('pending_key', 'a')).toBe(keys.pendingDeps(tag, 's-1', 'a'));
  });
});

describe('the constants the Lua scripts hold', () => {
  it("are TypeScript's where TypeScript has them too", () => {
    expect(luaConstant(emit, 'EVENTS_MAX')).toBe(EVENTS_MAX);
    expect(/^local ENTRY_FIELD = '([^']*)'$/m.exec(logAppend)?.[1]).toBe(ENTRY_FIELD);
  });

  it('name statuses and keys that exist', () => {
    expect(TASK_STATUSES).toEqual(expect.arrayContaining(luaStrings(setTaskStatus, 'FINAL_TASK_STATUSES')));
    // Read from end-session.lua (the session terminator's list is this one): statuses that exist.
    expect(IDLE_TASK_STATUSES).toEqual(['waiting', 'ready', 'paused']);
    expect(TASK_STATUSES).toEqual(expect.arrayContaining([...IDLE_TASK_STATUSES]));
    expect(JOB_KEY_SUFFIXES).toContain('');
    expect(JOB_KEY_SUFFIXES).toEqual(expect.arrayContaining([...JOB_CHILDREN_SUFFIXES]));
  });
});

describe('withIncludes', () => {
  it('replaces each include line by the include, and refuses one not given', () => {
    expect(withIncludes('--- @include "a"\nreturn f()\n', { a: 'local function f() return 1 end\n' })).toBe('local function f() return 1 end\nreturn f()\n');
    expect(() => withIncludes('--- @include "b"\n', {})).toThrow(LuaIncludeError);
  });
});

describe('luaStrings', () => {
  it('reads a list of strings the source declares, and says which is missing', () => {
    expect(luaStrings("local A = 1\nlocal SUFFIXES = { '', ':logs' }\n", 'SUFFIXES')).toEqual(['', ':logs']);
    expect(() => luaStrings('local A = 1\n', 'SUFFIXES')).toThrow(/declares no list SUFFIXES/);
  });
});

describe('luaConstant', () => {
  it('reads a numeric constant the source declares, and says which is missing', () => {
    expect(luaConstant('local A = 1\nlocal EVENTS_MAX = 100000\n', 'EVENTS_MAX')).toBe(100_000);
    expect(() => luaConstant('local A = 1\n', 'EVENTS_MAX')).toThrow(/declares no constant EVENTS_MAX/);
  });
});
