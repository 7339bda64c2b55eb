import { AgentDescriptor } from './agent-contract';

/** What a task asks of the agent that runs it. */
export interface AgentRequirement {
  readonly capabilities: readonly string[];
  readonly agentType?: string;
}

export interface AgentCandidate {
  readonly descriptor: AgentDescriptor;
  readonly status: 'active' | 'draining' | 'offline';
  readonly currentLoad: number;
}

/** Every reason an agent cannot take a task; empty when it can. */
export function incompatibilities(candidate: AgentCandidate, requirement: AgentRequirement): string[] {
  const reasons: string[] = [];
  const { descriptor } = candidate;
  if (requirement.agentType && descriptor.type !== requirement.agentType) {
    reasons.push(`agent type is "${descriptor.type}", the task asks for "${requirement.agentType}"`);
  }
  if (candidate.status !== 'active') reasons.push(`agent is ${candidate.status}`);
  if (candidate.currentLoad >= descriptor.concurrency) {
    reasons.push(`agent is at capacity (${candidate.currentLoad}/${descriptor.concurrency})`);
  }
  const missing = requirement.capabilities.filter((c) => !descriptor.capabilities.includes(c));
  if (missing.length > 0) reasons.push(`agent lacks ${missing.join(', ')}`);
  return reasons;
}

/**
 * The selection rule: keep agents of the asked type, active, below their max load and having
 * every required capability; then take the highest priority, and among equals the lowest load.
 * Ties keep the candidates' order, so the choice is deterministic.
 */
export function selectAgent<C extends AgentCandidate>(candidates: readonly C[], requirement: AgentRequirement): C | undefined {
  let best: C | undefined;
  for (const candidate of candidates) {
    if (incompatibilities(candidate, requirement).length > 0) continue;
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
