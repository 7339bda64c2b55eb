import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, realpath, rm } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { WorkspaceEntryError, WorkspacePathError } from './tool-errors';

/** Largest file `read` returns. */
export const WORKSPACE_READ_LIMIT_BYTES = 1024 * 1024;

export type EntryType = 'file' | 'directory' | 'symlink' | 'other';

export interface WorkspaceEntry {
  readonly name: string;
  readonly type: EntryType;
  readonly size: number;
}

function isWithin(root: string, path: string): boolean {
  return path === root || path.startsWith(root.endsWith(sep) ? root : root + sep);
}

function typeOf(stats: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): EntryType {
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'directory';
  return 'other';
}

const errorCode = (error: unknown): string | undefined => (error as NodeJS.ErrnoException | undefined)?.code;

/**
 * A directory that file operations cannot leave. Every path is resolved to its real location
 * (following symbolic links) before use and refused unless that lies inside the workspace: `..`
 * segments, absolute paths elsewhere and links pointing out are all refused, naming the path.
 */
export class Workspace {
  private rootReal?: Promise<string>;

  constructor(readonly root: string) {}

  /** The workspace's real path; the directory is created on first use. */
  realRoot(): Promise<string> {
    this.rootReal ??= mkdir(this.root, { recursive: true }).then(() => realpath(this.root));
    return this.rootReal;
  }

  /**
   * Where `path` (relative to the workspace, or absolute inside it) really is. The deepest part
   * that exists is resolved through its links; what does not exist yet is appended to it.
   */
  async resolve(path: string): Promise<string> {
    if (path.length === 0) throw new WorkspacePathError(path, 'it is empty');
    if (path.includes('\0')) throw new WorkspacePathError(path, 'it contains a NUL character');
    if (path.split(/[\\/]/).includes('..')) throw new WorkspacePathError(path, 'it contains ".." (paths may not climb out of the workspace)');
    const root = await this.realRoot();
    let wanted: string;
    if (isAbsolute(path)) {
      const configured = resolve(this.root);
      if (isWithin(root, path)) wanted = resolve(path);
      else if (isWithin(configured, path)) wanted = join(root, relative(configured, path));
      else throw new WorkspacePathError(path, `it is outside the workspace ${root}`);
    } else {
      wanted = resolve(root, path);
    }
    let existing = wanted;
    const rest: string[] = [];
    for (;;) {
      try {
        const real = await realpath(existing);
        if (!isWithin(root, real)) throw new WorkspacePathError(path, `it leads outside the workspace (through a symbolic link, to ${real})`);
        return join(real, ...rest);
      } catch (error) {
        if (errorCode(error) !== 'ENOENT' || existing === root) throw error;
        // A dangling link is refused as well: where it points may be outside.
        const link = await lstat(existing).catch(() => undefined);
        if (link?.isSymbolicLink()) throw new WorkspacePathError(path, 'it goes through a symbolic link to nothing');
        rest.unshift(basename(existing));
        existing = dirname(existing);
      }
    }
  }

  /**
   * Like {@link resolve} (and refusing the same paths), but a symbolic link at the end of the
   * path is the entry itself, not where it points: stat describes the link, delete removes it.
   */
  async resolveEntry(path: string): Promise<string> {
    const target = await this.resolve(path);
    if (target === (await this.realRoot())) return target;
    return join(await this.resolve(dirname(path)), basename(path));
  }

  /** The path as the workspace names it: relative, with `/`. */
  async display(real: string): Promise<string> {
    const rel = relative(await this.realRoot(), real);
    return rel === '' ? '.' : rel.split(sep).join('/');
  }

  async read(path: string): Promise<{ real: string; data: Buffer }> {
    const real = await this.resolve(path);
    const stats = await this.statOf(path, real);
    if (!stats.isFile()) throw new WorkspaceEntryError(path, `is a ${typeOf(stats)}, not a file`);
    if (stats.size > WORKSPACE_READ_LIMIT_BYTES) {
      throw new WorkspaceEntryError(path, `is ${stats.size} bytes, more than the ${WORKSPACE_READ_LIMIT_BYTES} a read returns`);
    }
    return { real, data: await readFile(real) };
  }

  /** Writes (or appends to) a file, creating its directories; the file itself may not be a link. */
  async write(path: string, data: Buffer, options: { append?: boolean; overwrite?: boolean } = {}): Promise<{ real: string; created: boolean }> {
    const real = await this.resolve(path);
    const before = await lstat(real).catch(() => undefined);
    if (before && !before.isFile()) throw new WorkspaceEntryError(path, `is a ${typeOf(before)}, not a file`);
    if (before && options.overwrite === false && !options.append) throw new WorkspaceEntryError(path, 'exists already (overwrite is false)');
    if (real === (await this.realRoot())) throw new WorkspacePathError(path, 'it is the workspace itself');
    await mkdir(dirname(real), { recursive: true });
    const flags = constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | (options.append ? constants.O_APPEND : constants.O_TRUNC);
    const file = await open(real, flags, 0o644);
    try {
      await file.writeFile(data);
    } finally {
      await file.close();
    }
    return { real, created: before === undefined };
  }

  async list(path: string): Promise<{ real: string; entries: WorkspaceEntry[] }> {
    const real = await this.resolve(path);
    const stats = await this.statOf(path, real);
    if (!stats.isDirectory()) throw new WorkspaceEntryError(path, `is a ${typeOf(stats)}, not a directory`);
    const entries = await readdir(real, { withFileTypes: true });
    const listed = await Promise.all(
      entries.map(async (entry) => ({
        name: entry.name,
        type: typeOf(entry),
        size: entry.isFile() ? (await lstat(join(real, entry.name)).catch(() => ({ size: 0 }))).size : 0,
      })),
    );
    return { real, entries: listed.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0)) };
  }

  /** What is at `path`; `found` is undefined when nothing is. */
  async stat(path: string): Promise<{ real: string; found?: { type: EntryType; size: number; modifiedAt: string } }> {
    const real = await this.resolveEntry(path);
    const stats = await lstat(real).catch((error: unknown) => {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw error;
    });
    return { real, found: stats && { type: typeOf(stats), size: stats.size, modifiedAt: stats.mtime.toISOString() } };
  }

  async delete(path: string, recursive: boolean): Promise<{ real: string; type: EntryType }> {
    const real = await this.resolveEntry(path);
    if (real === (await this.realRoot())) throw new WorkspacePathError(path, 'it is the workspace itself');
    const stats = await this.statOf(path, real);
    if (stats.isDirectory() && !recursive) {
      const entries = await readdir(real);
      if (entries.length > 0) throw new WorkspaceEntryError(path, 'is a directory that is not empty (set recursive: true)');
    }
    await rm(real, { recursive: stats.isDirectory() });
    return { real, type: typeOf(stats) };
  }

  private async statOf(path: string, real: string) {
    try {
      return await lstat(real);
    } catch (error) {
      if (errorCode(error) === 'ENOENT') throw new WorkspaceEntryError(path, 'does not exist');
      throw error;
    }
  }
}
