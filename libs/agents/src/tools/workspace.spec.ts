import { mkdtemp, mkdir, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { SwitchyardError } from '@switchyard/orchestration';
import { tenantWorkspaceDir, Workspace } from './workspace';
import { WorkspaceEntryError, WorkspacePathError } from './tool-errors';

describe('Workspace', () => {
  let base: string;
  let root: string;
  let outside: string;
  let workspace: Workspace;

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'sy-workspace-'));
    root = join(base, 'workspace');
    outside = join(base, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'secret.txt'), 'secret');
    workspace = new Workspace(root);
  });

  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  /** The message of what `attempt` rejects with (it must reject with a SwitchyardError). */
  const failure = async (attempt: Promise<unknown>): Promise<string> => {
    const error = await attempt.then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(error).toBeInstanceOf(SwitchyardError);
    return (error as Error).message;
  };

  it('names paths relative to the workspace in every error: never its absolute root, a real path or a link target', async () => {
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'file.txt'), 'x');
    await symlink(outside, join(root, 'escape'));
    await symlink(join(outside, 'secret.txt'), join(root, 'secret-link.txt'));
    await symlink(join(outside, 'not-yet.txt'), join(root, 'dangling.txt'));
    await symlink(join(root, 'loop-b'), join(root, 'loop-a'));
    await symlink(join(root, 'loop-a'), join(root, 'loop-b'));
    // An absolute path elsewhere is named as given, and the workspace's root is not added.
    expect(await failure(workspace.read(join(outside, 'secret.txt')))).toBe(`Path "${join(outside, 'secret.txt')}" is refused: it is outside the workspace`);
    const messages = [
      await failure(workspace.read('escape/secret.txt')),
      await failure(workspace.read('secret-link.txt')),
      await failure(workspace.write('dangling.txt', Buffer.from('x'))),
      await failure(workspace.list('escape')),
      await failure(workspace.stat('escape/secret.txt')),
      await failure(workspace.delete('escape/secret.txt', false)),
      await failure(workspace.read('missing.txt')),
      await failure(workspace.read('loop-a')),
      // Through a file where a directory should be: the file system's own error names the absolute path.
      await failure(workspace.write('file.txt/inner.txt', Buffer.from('x'))),
      await failure(workspace.read('file.txt/inner.txt')),
      await failure(workspace.list('file.txt')),
    ];
    const absolute = [base, await realpath(base), root, outside, await realpath(outside)];
    for (const message of messages) {
      for (const path of absolute) expect(message).not.toContain(path);
    }
    expect(messages).toEqual([
      'Path "escape/secret.txt" is refused: it leads outside the workspace (through a symbolic link)',
      'Path "secret-link.txt" is refused: it leads outside the workspace (through a symbolic link)',
      'Path "dangling.txt" is refused: it goes through a symbolic link to nothing',
      'Path "escape" is refused: it leads outside the workspace (through a symbolic link)',
      'Path "escape/secret.txt" is refused: it leads outside the workspace (through a symbolic link)',
      'Path "escape/secret.txt" is refused: it leads outside the workspace (through a symbolic link)',
      'Path "missing.txt": does not exist',
      'Path "loop-a": goes through too many symbolic links',
      'Path "file.txt/inner.txt": goes through something that is not a directory',
      'Path "file.txt/inner.txt": goes through something that is not a directory',
      'Path "file.txt": is a file, not a directory',
    ]);
  });

  it('reports a link that points out without its target, as a typed refusal', async () => {
    await mkdir(root, { recursive: true });
    await symlink(join(outside, 'secret.txt'), join(root, 'link.txt'));
    const error = await workspace.read('link.txt').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkspacePathError);
    expect(error).toMatchObject({ path: 'link.txt', reason: 'it leads outside the workspace (through a symbolic link)' });
    expect(JSON.stringify(error)).not.toContain(outside);
  });

  it('turns a file system failure into a WorkspaceEntryError naming the relative path', async () => {
    await mkdir(root, { recursive: true });
    await writeFile(join(root, 'file.txt'), 'x');
    const error = await workspace.write('file.txt/inner.txt', Buffer.from('x')).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WorkspaceEntryError);
    expect(error).toMatchObject({ path: 'file.txt/inner.txt' });
  });
});

describe('tenantWorkspaceDir', () => {
  it('gives each tenant a directory of its own under <dir>/tenants', () => {
    expect(tenantWorkspaceDir('/srv/work', 'acme')).toBe(join('/srv/work', 'tenants', 'acme'));
    expect(tenantWorkspaceDir('/srv/work', 'globex_2-b')).toBe(join('/srv/work', 'tenants', 'globex_2-b'));
  });

  it('maps every tenant name to one safe directory name, distinct for distinct names (also on case-blind file systems)', () => {
    const names = ['acme', 'Acme', 'ACME', '', '.', '..', 'a/b', 'a\\b', '~41cme', 'ä', 'a b', 'con', '-', '_'];
    const dirs = names.map((name) => tenantWorkspaceDir('/w', name).slice('/w/tenants/'.length));
    for (const dir of dirs) {
      expect(dir).toMatch(/^[a-z0-9_~-]+$/);
      expect(['.', '..']).not.toContain(dir);
    }
    expect(new Set(dirs.map((d) => d.toLowerCase())).size).toBe(names.length);
  });
});
