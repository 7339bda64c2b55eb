import { Inject } from '@nestjs/common';
import { SWITCHYARD_CONFIG, SwitchyardConfig, TaskContext, TaskRun } from '@switchyard/orchestration';
import { z } from 'zod';
import { Agent } from '../sdk/agent.decorator';
import { failIfAsked } from '../builtin/model-agent';
import { parseToolInput } from './tool-errors';
import { tenantWorkspaceDir, Workspace } from './workspace';
import { traceToolCall } from '../tracing/traced-tool';

const path = z.string({ error: 'path must be a string' }).max(4096, 'path must be at most 4096 characters');
const encoding = z.enum(['utf8', 'base64'], { error: 'encoding must be utf8 or base64' }).default('utf8');

/** What a file_operations task asks for; paths are relative to the tenant's workspace directory. */
export const fileOperationInput = z.discriminatedUnion(
  'operation',
  [
    z.object({ operation: z.literal('read'), path, encoding }),
    z.object({
      operation: z.literal('write'),
      path,
      content: z.string({ error: 'content must be a string' }),
      encoding,
      append: z.boolean().default(false),
      overwrite: z.boolean().default(true),
    }),
    z.object({ operation: z.literal('list'), path: path.default('.') }),
    z.object({ operation: z.literal('stat'), path }),
    z.object({ operation: z.literal('delete'), path, recursive: z.boolean().default(false) }),
  ],
  { error: 'operation must be one of read, write, list, stat, delete' },
);
export type FileOperationInput = z.infer<typeof fileOperationInput>;

/**
 * A tool agent (no model): reads, writes, lists, stats and deletes files inside the task's
 * tenant's workspace (`SWITCHYARD_WORKSPACE_DIR/tenants/<tenant>`, see tenantWorkspaceDir) and
 * nowhere else. A tenant's sessions share its workspace; no tenant reaches another's.
 */
@Agent({ type: 'files', name: 'files', capabilities: ['file_operations'], concurrency: 4 })
export class FileOperationsAgent {
  private readonly dir: string;
  /** One per tenant seen: a workspace remembers its real root. */
  private readonly workspaces = new Map<string, Workspace>();

  constructor(@Inject(SWITCHYARD_CONFIG) config: SwitchyardConfig) {
    this.dir = config.tools.workspaceDir;
  }

  async run(task: TaskRun, context: TaskContext): Promise<unknown> {
    failIfAsked(task);
    const input = parseToolInput(fileOperationInput, task.input, 'file_operations');
    context.signal.throwIfAborted();
    const output = await traceToolCall('file_operations', () => this.perform(this.workspaceOf(context.tenant), input), {
      'switchyard.file.operation': input.operation,
    });
    context.log.info('file operation done', { operation: input.operation, path: output.path });
    return output;
  }

  private workspaceOf(tenant: string): Workspace {
    let workspace = this.workspaces.get(tenant);
    if (!workspace) this.workspaces.set(tenant, (workspace = new Workspace(tenantWorkspaceDir(this.dir, tenant))));
    return workspace;
  }

  /** Runs one operation in `ws`; `path` in the answer is relative to it. */
  private async perform(ws: Workspace, input: FileOperationInput): Promise<{ operation: string; path: string } & Record<string, unknown>> {
    switch (input.operation) {
      case 'read': {
        const { real, data } = await ws.read(input.path);
        return { operation: 'read', path: await ws.display(real), size: data.length, encoding: input.encoding, content: data.toString(input.encoding) };
      }
      case 'write': {
        const data = Buffer.from(input.content, input.encoding);
        const { real, created } = await ws.write(input.path, data, { append: input.append, overwrite: input.overwrite });
        return { operation: 'write', path: await ws.display(real), bytesWritten: data.length, created };
      }
      case 'list': {
        const { real, entries } = await ws.list(input.path);
        return { operation: 'list', path: await ws.display(real), entries };
      }
      case 'stat': {
        const { real, found } = await ws.stat(input.path);
        const path = await ws.display(real);
        return found ? { operation: 'stat', path, exists: true, ...found } : { operation: 'stat', path, exists: false };
      }
      case 'delete': {
        const { real, type } = await ws.delete(input.path, input.recursive);
        return { operation: 'delete', path: await ws.display(real), deleted: type };
      }
    }
  }
}
