import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { Principal, SessionNotFoundError, SessionQueries } from '@switchyard/orchestration';

/**
 * On every route under `sessions/:id`: a session of another tenant is answered as if it did not
 * exist (404, not 403, so session ids do not leak across tenants). Admins see every tenant's.
 * Malformed ids and missing sessions pass on, to get their 400 or 404 from the route itself.
 */
@Injectable()
export class SessionOwnerGuard implements CanActivate {
  constructor(private readonly sessions: SessionQueries) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<{ route?: { path?: string }; params?: Record<string, string>; principal?: Principal }>();
    const sessionId = request.params?.id;
    if (!sessionId || !request.route?.path?.includes('/sessions/:id') || !request.principal || request.principal.role === 'admin') return true;
    const tenant = await this.sessions.tenantOf(sessionId);
    if (tenant !== undefined && tenant !== request.principal.tenant) throw new SessionNotFoundError(sessionId);
    return true;
  }
}
