import { AgentDescriptor } from './agent-contract';
import { PERMISSIVE_POLICY, PermissionPolicy, permissionRefusals } from './permission-policy';

/** What a task asks of the agent that runs it. */
export interface AgentRequirement {
  readonly capabilities: readonly string[];
  readonly agentType?: string;
}

export const AGENT_STATUSES = ['active', 'draining', 'offline'] as const;
export type AgentStatus = (typeof AGENT_STATUSES)[number];

export interface AgentCandidate {
  readonly descriptor: AgentDescriptor;
  readonly status: AgentStatus;
  readonly currentLoad: number;
}

export interface CompatibilityOptions {
  /** Kind and permission rules; without one, permissions are not checked. */
  readonly policy?: PermissionPolicy;
  /** Leave capacity out (admission asks whether any live agent could take the task at all). */
  readonly ignoreLoad?: boolean;
}

/** Every reason an agent cannot take a task; empty when it can. */
export function incompatibilities(candidate: AgentCandidate, requirement: AgentRequirement, options: CompatibilityOptions = {}): string[] {
  const reasons: string[] = [];
  const { descriptor } = candidate;
  if (requirement.agentType && descriptor.type !== requirement.agentType) {
    reasons.push(`agent type is "${descriptor.type}", the task asks for "${requirement.agentType}"`);
  }
  if (candidate.status !== 'active') reasons.push(`agent is ${candidate.status}`);
  if (!options.ignoreLoad && candidate.currentLoad >= descriptor.concurrency) {
    reasons.push(`agent is at capacity (${candidate.currentLoad}/${descriptor.concurrency})`);
  }
  const missing = requirement.capabilities.filter((c) => !descriptor.capabilities.includes(c));
  if (missing.length > 0) reasons.push(`agent lacks ${missing.join(', ')}`);
  reasons.push(...permissionRefusals(descriptor, requirement.capabilities, options.policy ?? PERMISSIVE_POLICY));
  return reasons;
}

/**
 * The selection rule: keep agents of the asked type, active, below their max load, having
 * every required capability and allowed to take them; then take the highest priority, and among
 * equals the lowest load. Ties keep the candidates' order, so the choice is deterministic.
 */
export function selectAgent<C extends AgentCandidate>(
  candidates: readonly C[],
  requirement: AgentRequirement,
  options: CompatibilityOptions = {},
): C | undefined {
  let best: C | undefined;
  for (const candidate of candidates) {
    if (incompatibilities(candidate, requirement, options).length > 0) continue;
    if (
      !best ||
      candidate.descriptor.priority > best.descriptor.priority ||
      (candidate.descriptor.priority === best.descriptor.priority && candidate.currentLoad < best.currentLoad)
    ) {
      best = candidate;
    }
  }
  return best;
}

/** The agent the rule picks and, for every other candidate, why it was passed over. */
export interface SelectionExplained<C extends AgentCandidate> {
  readonly selected?: C;
  readonly rejected: { readonly candidate: C; readonly reasons: string[] }[];
}

/** {@link selectAgent} as a dry run: also says why each other agent was not chosen. */
export function explainSelection<C extends AgentCandidate>(
  candidates: readonly C[],
  requirement: AgentRequirement,
  options: CompatibilityOptions = {},
): SelectionExplained<C> {
  const selected = selectAgent(candidates, requirement, options);
  const rejected = candidates
    .filter((c) => c !== selected)
    .map((candidate) => {
      const reasons = incompatibilities(candidate, requirement, options);
      if (reasons.length === 0 && selected) {
        reasons.push(
          candidate.descriptor.priority < selected.descriptor.priority
            ? `lower priority (${candidate.descriptor.priority}) than ${selected.descriptor.id} (${selected.descriptor.priority})`
            : candidate.currentLoad > selected.currentLoad
              ? `higher load (${candidate.currentLoad}) than ${selected.descriptor.id} (${selected.currentLoad})`
              : `same priority and load as ${selected.descriptor.id}, which comes first`,
        );
      }
      return { candidate, reasons };
    });
  return { selected, rejected };
}
