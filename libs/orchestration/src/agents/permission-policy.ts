import type { AgentKind, PermissionLevel } from './agent-contract';

/**
 * Which capabilities an agent may take, by its kind and permission level: a guest only those on
 * the deployment's allow-list; a limited or readonly agent none marked privileged.
 */
export interface PermissionPolicy {
  /** Capabilities only `full` agents may take. */
  readonly privileged: ReadonlySet<string>;
  /** The capabilities a guest agent may take (SWITCHYARD_GUEST_CAPABILITIES); absent: any. */
  readonly guestCapabilities?: ReadonlySet<string>;
}

/** No restriction at all: for callers that check permissions elsewhere. */
export const PERMISSIVE_POLICY: PermissionPolicy = {
  privileged: new Set(),
};

/** Every reason an agent of this kind and permission may not take these capabilities. */
export function permissionRefusals(
  agent: { readonly kind: AgentKind; readonly permission: PermissionLevel },
  capabilities: readonly string[],
  policy: PermissionPolicy,
): string[] {
  const reasons: string[] = [];
  if (agent.permission !== 'full') {
    const privileged = capabilities.filter((c) => policy.privileged.has(c));
    if (privileged.length > 0) {
      reasons.push(`a ${agent.permission} agent may not take privileged capabilities: ${privileged.join(', ')}`);
    }
  }
  const allowed = policy.guestCapabilities;
  if (agent.kind === 'guest' && allowed) {
    const outside = capabilities.filter((c) => !allowed.has(c));
    if (outside.length > 0) reasons.push(`a guest agent may not take ${outside.join(', ')} (not on the guest allow-list)`);
  }
  return reasons;
}
