import { Principal, roleAllows } from './api-keys';

/**
 * Whose figures an answer may show: the whole deployment's (queues, workers, every tenant's task
 * counts, agents' load), or one tenant's own. Admin keys see the deployment; any other key sees
 * its tenant's.
 */
export type FigureScope = 'deployment' | { readonly tenant: string };

export function figureScopeOf(principal: Principal): FigureScope {
  return roleAllows(principal.role, 'admin') ? 'deployment' : { tenant: principal.tenant };
}
