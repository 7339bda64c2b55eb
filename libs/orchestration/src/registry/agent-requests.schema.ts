import { z } from 'zod';
import { AGENT_KINDS, PERMISSION_LEVELS } from '../agents/agent-contract';
import { AGENT_STATUSES } from '../agents/agent-selection';
import { CAPABILITY_NAME, repeatedCapabilities } from '../agents/capability-catalog';

/** Agent ids: the default `<name>@<host>:<pid>` and anything a client picks of the same alphabet. */
export const AGENT_ID = /^[A-Za-z0-9_.:@-]{1,128}$/;
const AGENT_TYPE = /^[a-z][a-z0-9_-]{0,39}$/;

const capabilityName = z.string().regex(CAPABILITY_NAME, 'must be a capability name: lower snake case, at most 63 characters');

/** One to 100 capabilities, each once. */
const capabilityList = z
  .array(capabilityName)
  .min(1, 'needs at least one capability')
  .max(100)
  .superRefine((names, ctx) => {
    for (const { index, name } of repeatedCapabilities(names)) ctx.addIssue({ code: 'custom', path: [index], message: `lists capability "${name}" twice` });
  });

export const customCapabilitySchema = z.strictObject({
  name: capabilityName,
  description: z.string().min(1).max(500),
  category: z
    .string()
    .regex(/^[a-z][a-z0-9_]{0,39}$/, 'must be lower snake case, at most 40 characters')
    .optional(),
  privileged: z.boolean().optional(),
});

/** `POST /api/orchestrator/agents`: a record for an agent run outside Switchyard's workers. */
export const agentRegistrationSchema = z.strictObject({
  id: z.string().regex(AGENT_ID, 'must be 1 to 128 letters, digits, "_", ".", ":", "@" or "-"').optional(),
  name: z.string().min(1).max(100),
  type: z.string().regex(AGENT_TYPE, 'must be lower case letters, digits, "_" or "-", starting with a letter, at most 40'),
  capabilities: capabilityList,
  kind: z.enum(AGENT_KINDS),
  permission: z.enum(PERMISSION_LEVELS),
  priority: z.number().int().min(-1000).max(1000).default(0),
  maxLoad: z.number().int().min(1).max(10_000).default(1),
  worker: z.strictObject({ host: z.string().min(1).max(255), pid: z.number().int().min(0) }).optional(),
  /** New capabilities this agent brings, added to the catalog with it. */
  customCapabilities: z.array(customCapabilitySchema).max(50).optional(),
});
export type AgentRegistration = z.infer<typeof agentRegistrationSchema>;

/** `POST /api/orchestrator/agents/select`: a task's requirements. */
export const agentSelectionRequestSchema = z.strictObject({
  capabilities: capabilityList,
  agentType: z.string().regex(AGENT_TYPE, 'must be an agent type').optional(),
});
export type AgentSelectionRequest = z.infer<typeof agentSelectionRequestSchema>;

/** `GET /api/orchestrator/agents` filters. */
export const agentFilterSchema = z.strictObject({
  type: z.string().regex(AGENT_TYPE, 'must be an agent type').optional(),
  capability: capabilityName.optional(),
  status: z.enum(AGENT_STATUSES).optional(),
});
export type AgentFilter = z.infer<typeof agentFilterSchema>;

/** `POST /api/orchestrator/agents/:id/heartbeat`: keeps an agent registered over REST alive. */
export const agentHeartbeatSchema = z.strictObject({
  currentLoad: z.number().int().min(0).max(10_000).optional(),
});
