import { createZodDto } from 'nestjs-zod';
import { nullableString } from '../http/openapi';
import { z } from 'zod';
import {
  AGENT_ID,
  AGENT_KINDS,
  AGENT_STATUSES,
  agentFilterSchema,
  agentHeartbeatSchema,
  agentRegistrationSchema,
  agentSelectionRequestSchema,
  PERMISSION_LEVELS,
} from '@switchyard/orchestration';

/** Request and response schemas of the registry routes, for validation and the OpenAPI document. */

const exampleRecord = {
  id: 'coder@worker-1:4242',
  name: 'coder',
  type: 'coder',
  kind: 'specialised',
  permission: 'full',
  capabilities: ['code_generation', 'code_refactoring', 'testing'],
  priority: 0,
  maxLoad: 4,
  currentLoad: 1,
  status: 'active',
  worker: { host: 'worker-1', pid: 4242 },
  source: 'worker',
  registeredAt: '2026-11-25T12:00:00.000Z',
  lastHeartbeat: '2026-11-25T12:03:10.000Z',
};

const agentRecordSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    type: z.string(),
    kind: z.enum(AGENT_KINDS),
    permission: z.enum(PERMISSION_LEVELS),
    capabilities: z.array(z.string()),
    priority: z.number().int(),
    maxLoad: z.number().int(),
    currentLoad: z.number().int().optional().describe('Tasks it runs now, of every tenant: admin keys only'),
    status: z.enum(AGENT_STATUSES),
    worker: z.object({ host: z.string(), pid: z.number().int() }).nullable(),
    source: z.enum(['worker', 'api']).describe('Hosted by a Switchyard worker, or registered over REST'),
    registeredAt: z.string(),
    lastHeartbeat: nullableString(),
    tenant: z
      .string()
      .optional()
      .describe('For an agent registered over REST: the tenant whose tasks it pulls (that of the key that registered it); admin keys only'),
  })
  .meta({ examples: [exampleRecord] });

export class AgentDto extends createZodDto(agentRecordSchema) {}

export class AgentFilterDto extends createZodDto(agentFilterSchema) {}

export class AgentIdParamDto extends createZodDto(
  z.object({ id: z.string().regex(AGENT_ID, 'must be an agent id: 1 to 128 letters, digits, "_", ".", ":", "@" or "-"') }),
) {}

export class AgentRegistrationDto extends createZodDto(
  agentRegistrationSchema.meta({
    description:
      'Every capability must be in the catalog or declared in `customCapabilities`; a guest may only take the allowed list, ' +
      'limited and readonly agents no privileged capability. The agent is active while it heartbeats.',
    examples: [
      { name: 'sql-runner', type: 'dba', capabilities: ['database_operations'], kind: 'specialised', permission: 'full', priority: 5, maxLoad: 2 },
      {
        id: 'translator-1',
        name: 'translator',
        type: 'translator',
        capabilities: ['translation'],
        kind: 'specialised',
        permission: 'limited',
        customCapabilities: [{ name: 'translation', description: 'Translate text between languages', category: 'communication' }],
      },
    ],
  }),
) {}

export class AgentHeartbeatDto extends createZodDto(agentHeartbeatSchema.meta({ examples: [{ currentLoad: 1 }, {}] })) {}

export class AgentUnregisteredDto extends createZodDto(
  z.object({ id: z.string(), unregistered: z.literal(true) }).meta({ examples: [{ id: 'coder@worker-1:4242', unregistered: true }] }),
) {}

export class AgentSelectionRequestDto extends createZodDto(
  agentSelectionRequestSchema.meta({ examples: [{ capabilities: ['code_generation'] }, { capabilities: ['code_review'], agentType: 'reviewer' }] }),
) {}

export class AgentSelectionDto extends createZodDto(
  z
    .object({
      selected: agentRecordSchema.nullable().describe('The agent the rule picks; null when none can take the task'),
      rejected: z.array(z.object({ agentId: z.string(), reasons: z.array(z.string()) })).describe('Every other agent, with every reason'),
    })
    .meta({
      examples: [
        {
          selected: exampleRecord,
          rejected: [
            { agentId: 'reviewer@worker-1:4242', reasons: ['agent lacks code_generation'] },
            { agentId: 'coder@worker-2:77', reasons: ['agent is draining'] },
          ],
        },
      ],
    }),
) {}

export class CapabilityDto extends createZodDto(
  z
    .object({
      name: z.string(),
      category: z.string(),
      description: z.string(),
      privileged: z.boolean().describe('Only agents with full permission may take it'),
      custom: z.boolean().describe('Added at run time'),
      agents: z
        .number()
        .int()
        .describe('Live agents offering it now: active, hosted by a worker or registered over REST (remote agents pull their tasks over HTTP)'),
    })
    .meta({
      examples: [
        { name: 'database_operations', category: 'integration', description: 'Query and change databases', privileged: true, custom: false, agents: 2 },
      ],
    }),
) {}
