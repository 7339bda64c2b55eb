import { AgentRequirement, selectAgent } from '../agents/agent-selection';
import { PermissionPolicy } from '../agents/permission-policy';
import { AgentRecord, asCandidate } from './agent-record';

/**
 * Why no live agent can take a task at all (load aside), or `undefined` when one can: the
 * capabilities no active agent offers, else the type or permission that rules them out.
 */
export function admissionBlock(agents: readonly AgentRecord[], requirement: AgentRequirement, policy: PermissionPolicy): string | undefined {
  const live = agents.filter((a) => a.status === 'active');
  if (selectAgent(live.map(asCandidate), requirement, { policy, ignoreLoad: true })) return undefined;
  const missing = requirement.capabilities.filter((c) => !live.some((a) => a.capabilities.includes(c)));
  if (missing.length > 0) return `no live agent with capability ${missing.join(', ')}`;
  const type = requirement.agentType ? ` of type "${requirement.agentType}"` : '';
  return `no live agent${type} allowed to take ${requirement.capabilities.join(' + ')}`;
}
