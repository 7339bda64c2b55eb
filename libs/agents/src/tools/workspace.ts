import { constants } from 'node:fs';
import { lstat, mkdir, open, readdir, readFile, realpath, rm } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { SwitchyardError } from '@switchyard/orchestration';
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

/** A file system failure as a workspace error says it (Node's own messages name the absolute path). */
const FS_FAILURES: Record<string, string> = {
  ENOENT: 'does not exist',
  ENOTDIR: 'goes through something that is not a directory',
  EISDIR: 'is a directory',
  EEXIST: 'exists already',
  ENOTEMPTY: 'is a directory that is not empty',
  EACCES: 'is not accessible (permission denied)',
  EPERM: 'is not accessible (operation not permitted)',
  ELOOP: 'goes through too many symbolic links',
  ENAMETOOLONG: 'is too long',
  ENOSPC: 'cannot be written: no space left on the device',
  EDQUOT: 'cannot be written: the disk quota is used up',
  EROFS: 'cannot be written: the file system is read-only',
};

/**
 * Where a tenant's workspace is: `<dir>/tenants/<name>`. The name keeps lower-case letters,
 * digits, `_` and `-`; every other byte (upper-case letters too, so that two tenants never share
 * a directory on a case-blind file system) becomes `~` and its two hex digits. The empty name
 * becomes `~` alone. So each tenant gets one directory of its own, and no name climbs out.
 */
export function tenantWorkspaceDir(dir: string, tenant: string): string {
  let name = '';
  for (const byte of Buffer.from(tenant, 'utf8')) {
    const char = String.fromCharCode(byte);
    name += /[a-z0-9_-]/.test(char) ? char : `~${byte.toString(16).padStart(2, '0')}`;
  }
  return join(dir, 'tenants', name || '~');
}

/**
 * A directory that file operations cannot leave. Every path is resolved to its real location
 * (following symbolic links) before use and refused unless that lies inside the workspace: `..`
 * segments, absolute paths elsewhere and links pointing out are all refused, naming the path.
 * Errors name paths as the caller gave them, never the workspace's absolute path, a real path or
 * where a link points: file system failures become {@link WorkspaceEntryError}s.
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
      else throw new WorkspacePathError(path, 'it is outside the workspace');
    } else {
      wanted = resolve(root, path);
    }
    let existing = wanted;
    const rest: string[] = [];
    for (;;) {
      try {
        const real = await realpath(existing);
        if (!isWithin(root, real)) throw new WorkspacePathError(path, 'it leads outside the workspace (through a symbolic link)');
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

  read(path: string): Promise<{ real: string; data: Buffer }> {
    return this.guarded(path, () => this.readAt(path));
  }

  private async readAt(path: string): Promise<{ real: string; data: Buffer }> {
    const real = await this.resolve(path);
    const stats = await this.statOf(path, real);
    if (!stats.isFile()) throw new WorkspaceEntryError(path, `is a ${typeOf(stats)}, not a file`);
    if (stats.size > WORKSPACE_READ_LIMIT_BYTES) {
      throw new WorkspaceEntryError(path, `is ${stats.size} bytes, more than the ${WORKSPACE_READ_LIMIT_BYTES} a read returns`);
    }
    return { real, data: await readFile(real) };
  }

  /** Writes (or appends to) a file, creating its directories; the file itself may not be a link. */
  write(path: string, data: Buffer, options: { append?: boolean; overwrite?: boolean } = {}): Promise<{ real: string; created: boolean }> {
    return this.guarded(path, () => this.writeAt(path, data, options));
  }

  private async writeAt(path: string, data: Buffer, options: { append?: boolean; overwrite?: boolean }): Promise<{ real: string; created: boolean }> {
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

  list(path: string): Promise<{ real: string; entries: WorkspaceEntry[] }> {
    return this.guarded(path, () => this.listAt(path));
  }

  private async listAt(path: string): Promise<{ real: string; entries: WorkspaceEntry[] }> {
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
  stat(path: string): Promise<{ real: string; found?: { type: EntryType; size: number; modifiedAt: string } }> {
    return this.guarded(path, () => this.statAt(path));
  }

  private async statAt(path: string): Promise<{ real: string; found?: { type: EntryType; size: number; modifiedAt: string } }> {
    const real = await this.resolveEntry(path);
    const stats = await lstat(real).catch((error: unknown) => {
      if (errorCode(error) === 'ENOENT') return undefined;
      throw error;
    });
    return { real, found: stats && { type: typeOf(stats), size: stats.size, modifiedAt: stats.mtime.toISOString() } };
  }

  delete(path: string, recursive: boolean): Promise<{ real: string; type: EntryType }> {
    return this.guarded(path, () => this.deleteAt(path, recursive));
  }

  private async deleteAt(path: string, recursive: boolean): Promise<{ real: string; type: EntryType }> {
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

  /** Runs an operation on `path`, with a file system failure turned into a {@link WorkspaceEntryError}. */
  private async guarded<T>(path: string, operation: () => Promise<T>): Promise<T> {
    try {
      return await operation();
    } catch (error) {
      if (error instanceof SwitchyardError) throw error;
      const code = errorCode(error);
      if (code === undefined) throw error;
      throw new WorkspaceEntryError(path, FS_FAILURES[code] ?? `failed (${code})`);
    }
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
