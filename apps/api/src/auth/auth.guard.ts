import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ApiKeyRing, Principal, roleAllows, SWITCHYARD_CONFIG, SwitchyardConfig } from '@switchyard/orchestration';
import { ACCESS, AccessRule, presentedKey } from './access';

/** With `SWITCHYARD_AUTH=off`, every request acts as this principal. */
export const ANONYMOUS_ADMIN: Principal = { keyId: 'anonymous', role: 'admin', tenant: 'default' };

/**
 * Authenticates every request by its API key and checks the route's least role. A route
 * without an `@Access` or `@Public` rule is for admins only, so a forgotten rule fails closed.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  readonly ring: ApiKeyRing;

  constructor(
    private readonly reflector: Reflector,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
  ) {
    this.ring = new ApiKeyRing(config.apiKeys);
  }

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS, [context.getHandler(), context.getClass()]) ?? { role: 'admin' };
    if (rule === 'public') return true;
    const request = context.switchToHttp().getRequest<{ headers: Record<string, string | string[] | undefined>; principal?: Principal }>();
    const principal = this.authenticate(request.headers);
    if (!roleAllows(principal.role, rule.role)) {
      throw new ForbiddenException(`This route needs the ${rule.role} role; the key "${principal.keyId}" is ${principal.role}`);
    }
    request.principal = principal;
    return true;
  }

  /** The principal of a request's key; throws 401 when there is none or it matches no key. */
  authenticate(headers: Record<string, string | string[] | undefined>): Principal {
    if (this.config.auth === 'off') return ANONYMOUS_ADMIN;
    const key = presentedKey(headers);
    if (!key) throw new UnauthorizedException('An API key is required: send "Authorization: Bearer <key>" or "X-API-Key: <key>"');
    const principal = this.ring.authenticate(key);
    if (!principal) throw new UnauthorizedException('The API key is not valid: check it, or ask an admin for one');
    return principal;
  }
}
