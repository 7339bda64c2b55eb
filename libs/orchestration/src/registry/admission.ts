import { AgentRequirement, selectAgent } from '../agents/agent-selection';
import { PermissionPolicy } from '../agents/permission-policy';
import { AgentRecord, asCandidate, canRunTasks } from './agent-record';

/**
 * Why no live agent can take a task at all (load aside), or `undefined` when one can: the
 * capabilities no live agent offers, else the type or permission that rules them out. Live means
 * active (see {@link canRunTasks}), hosted by a worker or registered over REST alike.
 */
export function admissionBlock(agents: readonly AgentRecord[], requirement: AgentRequirement, policy: PermissionPolicy): string | undefined {
  const live = agents.filter(canRunTasks);
  if (selectAgent(live.map(asCandidate), requirement, { policy, ignoreLoad: true })) return undefined;
  const missing = requirement.capabilities.filter((c) => !live.some((a) => a.capabilities.includes(c)));
  if (missing.length > 0) return `no live agent with capability ${missing.join(', ')}`;
  const type = requirement.agentType ? ` of type "${requirement.agentType}"` : '';
  return `no live agent${type} allowed to take ${requirement.capabilities.join(' + ')}`;
}

/** The capabilities among `names` that no live agent can take, in their order. */
export function uncoveredCapabilities(agents: readonly AgentRecord[], names: Iterable<string>, policy: PermissionPolicy): string[] {
  return [...names].filter((c) => admissionBlock(agents, { capabilities: [c] }, policy) !== undefined);
}
