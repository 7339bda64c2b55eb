import { mkdtemp, mkdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DEFAULT_TENANT, ValidationFailedError } from '@switchyard/orchestration';
import { configWithTools, taskContext, taskRun } from '../testing/task-fixtures';
import { FileOperationsAgent } from './file-operations.agent';
import { WorkspaceEntryError, WorkspacePathError } from './tool-errors';

describe('FileOperationsAgent', () => {
  let base: string;
  let workspace: string;
  let outside: string;
  let agent: FileOperationsAgent;
  const runAs = (tenant: string, input: unknown) =>
    agent.run(taskRun(input, { capabilities: ['file_operations'] }), taskContext(undefined, tenant)) as Promise<any>;
  /** As the default tenant, whose workspace is `workspace`. */
  const run = (input: unknown) => runAs(DEFAULT_TENANT, input);

  beforeEach(async () => {
    base = await mkdtemp(join(tmpdir(), 'sy-files-'));
    workspace = join(base, 'workspace', 'tenants', DEFAULT_TENANT);
    outside = join(base, 'outside');
    await mkdir(outside);
    await writeFile(join(outside, 'secret.txt'), 'secret');
    agent = new FileOperationsAgent(configWithTools({ workspaceDir: join(base, 'workspace') }));
  });

  afterEach(async () => {
    await rm(base, { recursive: true, force: true });
  });

  it('writes, appends, reads, lists, stats and deletes inside the workspace', async () => {
    expect(await run({ operation: 'write', path: 'notes/a.txt', content: 'hello' })).toEqual({
      operation: 'write',
      path: 'notes/a.txt',
      bytesWritten: 5,
      created: true,
    });
    expect(await readFile(join(workspace, 'notes', 'a.txt'), 'utf8')).toBe('hello');
    expect(await run({ operation: 'write', path: 'notes/a.txt', content: ' world', append: true })).toMatchObject({ created: false });
    expect(await run({ operation: 'read', path: 'notes/a.txt' })).toEqual({
      operation: 'read',
      path: 'notes/a.txt',
      size: 11,
      encoding: 'utf8',
      content: 'hello world',
    });
    await run({ operation: 'write', path: 'notes/b.bin', content: Buffer.from([0, 255]).toString('base64'), encoding: 'base64' });
    expect((await run({ operation: 'read', path: 'notes/b.bin', encoding: 'base64' })).content).toBe('AP8=');
    expect(await run({ operation: 'list', path: 'notes' })).toEqual({
      operation: 'list',
      path: 'notes',
      entries: [
        { name: 'a.txt', type: 'file', size: 11 },
        { name: 'b.bin', type: 'file', size: 2 },
      ],
    });
    expect((await run({ operation: 'list' })).entries).toEqual([{ name: 'notes', type: 'directory', size: 0 }]);
    expect(await run({ operation: 'stat', path: 'notes/a.txt' })).toMatchObject({ path: 'notes/a.txt', exists: true, type: 'file', size: 11 });
    expect(await run({ operation: 'stat', path: 'notes/none.txt' })).toEqual({ operation: 'stat', path: 'notes/none.txt', exists: false });
    await expect(run({ operation: 'delete', path: 'notes' })).rejects.toThrow('Path "notes": is a directory that is not empty (set recursive: true)');
    expect(await run({ operation: 'delete', path: 'notes/a.txt' })).toEqual({ operation: 'delete', path: 'notes/a.txt', deleted: 'file' });
    expect(await run({ operation: 'delete', path: 'notes', recursive: true })).toEqual({ operation: 'delete', path: 'notes', deleted: 'directory' });
    expect((await run({ operation: 'list' })).entries).toEqual([]);
  });

  it('accepts an absolute path inside the workspace', async () => {
    await run({ operation: 'write', path: join(workspace, 'x.txt'), content: 'x' });
    expect((await run({ operation: 'read', path: 'x.txt' })).content).toBe('x');
  });

  it("keeps each tenant in its own workspace: another tenant's files cannot be read, listed, written or deleted", async () => {
    await runAs('acme', { operation: 'write', path: 'acme-private/report.txt', content: 'acme only' });
    expect(await readFile(join(base, 'workspace', 'tenants', 'acme', 'acme-private', 'report.txt'), 'utf8')).toBe('acme only');
    await expect(runAs('globex', { operation: 'read', path: 'acme-private/report.txt' })).rejects.toThrow('Path "acme-private/report.txt": does not exist');
    expect(await runAs('globex', { operation: 'stat', path: 'acme-private/report.txt' })).toMatchObject({ exists: false });
    expect((await runAs('globex', { operation: 'list' })).entries).toEqual([]);
    await expect(runAs('globex', { operation: 'delete', path: 'acme-private/report.txt' })).rejects.toThrow('Path "acme-private/report.txt": does not exist');
    // Its write lands in its own workspace.
    await runAs('globex', { operation: 'write', path: 'acme-private/report.txt', content: 'globex' });
    // Nor can it climb there, by `..` or by the absolute path of acme's workspace.
    const acmeFile = join(base, 'workspace', 'tenants', 'acme', 'acme-private', 'report.txt');
    for (const path of ['../acme/acme-private/report.txt', acmeFile]) {
      for (const operation of ['read', 'stat', 'list', 'delete']) await expect(runAs('globex', { operation, path })).rejects.toBeInstanceOf(WorkspacePathError);
      await expect(runAs('globex', { operation: 'write', path, content: 'x' })).rejects.toBeInstanceOf(WorkspacePathError);
    }
    expect((await runAs('acme', { operation: 'read', path: 'acme-private/report.txt' })).content).toBe('acme only');
    expect((await runAs('globex', { operation: 'read', path: 'acme-private/report.txt' })).content).toBe('globex');
  });

  it('refuses to write over an existing file when overwrite is false', async () => {
    await run({ operation: 'write', path: 'x.txt', content: 'x' });
    await expect(run({ operation: 'write', path: 'x.txt', content: 'y', overwrite: false })).rejects.toThrow(WorkspaceEntryError);
    expect((await run({ operation: 'read', path: 'x.txt' })).content).toBe('x');
  });

  it.each([
    ['../outside/secret.txt', 'it contains ".."'],
    ['notes/../../outside/secret.txt', 'it contains ".."'],
    ['..', 'it contains ".."'],
    ['/etc/passwd', 'it is outside the workspace'],
  ])('refuses %s, naming the path', async (path, reason) => {
    for (const operation of ['read', 'stat', 'delete', 'list']) {
      const attempt = run({ operation, path });
      await expect(attempt).rejects.toBeInstanceOf(WorkspacePathError);
      await expect(attempt).rejects.toThrow(`Path "${path}" is refused: ${reason}`);
    }
    await expect(run({ operation: 'write', path, content: 'x' })).rejects.toBeInstanceOf(WorkspacePathError);
  });

  it('refuses an absolute path outside the workspace that shares its prefix', async () => {
    await expect(run({ operation: 'write', path: `${workspace}-evil/x.txt`, content: 'x' })).rejects.toThrow(WorkspacePathError);
  });

  it('refuses symbolic links that lead out of the workspace, for every operation', async () => {
    await mkdir(workspace, { recursive: true });
    await symlink(outside, join(workspace, 'escape'));
    await symlink(join(outside, 'secret.txt'), join(workspace, 'secret-link.txt'));
    await symlink(join(outside, 'not-yet.txt'), join(workspace, 'dangling.txt'));
    for (const input of [
      { operation: 'read', path: 'escape/secret.txt' },
      { operation: 'read', path: 'secret-link.txt' },
      { operation: 'list', path: 'escape' },
      { operation: 'stat', path: 'escape/secret.txt' },
      { operation: 'delete', path: 'escape/secret.txt' },
      { operation: 'write', path: 'escape/new.txt', content: 'x' },
      { operation: 'write', path: 'secret-link.txt', content: 'overwritten' },
      { operation: 'write', path: 'dangling.txt', content: 'x' },
    ]) {
      await expect(run(input)).rejects.toThrow(
        new RegExp(`^Path "${input.path}" is refused: it (leads outside the workspace|goes through a symbolic link to nothing)`),
      );
    }
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).toBe('secret');
    await expect(readFile(join(outside, 'new.txt'))).rejects.toThrow('ENOENT');
    await expect(readFile(join(outside, 'not-yet.txt'))).rejects.toThrow('ENOENT');
  });

  it('follows a symbolic link that stays inside the workspace', async () => {
    await run({ operation: 'write', path: 'real/a.txt', content: 'inside' });
    await symlink(join(workspace, 'real'), join(workspace, 'alias'));
    expect(await run({ operation: 'read', path: 'alias/a.txt' })).toMatchObject({ path: 'real/a.txt', content: 'inside' });
    // The link itself is what stat describes and delete removes; its target stays.
    expect(await run({ operation: 'stat', path: 'alias' })).toMatchObject({ path: 'alias', type: 'symlink' });
    expect(await run({ operation: 'delete', path: 'alias' })).toEqual({ operation: 'delete', path: 'alias', deleted: 'symlink' });
    expect((await run({ operation: 'list' })).entries).toEqual([{ name: 'real', type: 'directory', size: 0 }]);
    expect((await run({ operation: 'read', path: 'real/a.txt' })).content).toBe('inside');
  });

  it('refuses to delete or overwrite the workspace itself', async () => {
    await expect(run({ operation: 'delete', path: '.', recursive: true })).rejects.toThrow('Path "." is refused: it is the workspace itself');
    await expect(run({ operation: 'delete', path: workspace, recursive: true })).rejects.toThrow(WorkspacePathError);
  });

  it('says what is missing or of the wrong type', async () => {
    await expect(run({ operation: 'read', path: 'none.txt' })).rejects.toThrow('Path "none.txt": does not exist');
    await run({ operation: 'write', path: 'dir/a.txt', content: 'a' });
    await expect(run({ operation: 'read', path: 'dir' })).rejects.toThrow('Path "dir": is a directory, not a file');
    await expect(run({ operation: 'list', path: 'dir/a.txt' })).rejects.toThrow('Path "dir/a.txt": is a file, not a directory');
  });

  it('rejects malformed input naming each field', async () => {
    const issues = async (input: unknown) => {
      try {
        await run(input);
        return [];
      } catch (error) {
        expect(error).toBeInstanceOf(ValidationFailedError);
        return (error as ValidationFailedError).issues;
      }
    };
    expect(await issues({ operation: 'copy', path: 'a' })).toEqual([
      { path: 'input.operation', message: 'operation must be one of read, write, list, stat, delete' },
    ]);
    expect(await issues({ operation: 'write', path: 'a' })).toEqual([{ path: 'input.content', message: 'content must be a string' }]);
    expect(await issues({ operation: 'read', path: 'a', encoding: 'latin1' })).toEqual([
      { path: 'input.encoding', message: 'encoding must be utf8 or base64' },
    ]);
    expect(await issues(undefined)).toHaveLength(1);
    await expect(run({ operation: 'read', path: '' })).rejects.toThrow('Path "" is refused: it is empty');
  });
});
