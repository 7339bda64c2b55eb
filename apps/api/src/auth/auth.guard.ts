import { CanActivate, ExecutionContext, ForbiddenException, Inject, Injectable, UnauthorizedException } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import {
  ApiKeyRing,
  DEFAULT_TENANT,
  Principal,
  roleAllows,
  StreamTokenRefusal,
  StreamTokens,
  SWITCHYARD_CONFIG,
  SwitchyardConfig,
} from '@switchyard/orchestration';
import { ACCESS, AccessRule, presentedKey, STREAM_TOKEN } from './access';

/** With `SWITCHYARD_AUTH=off`, every request acts as this principal. */
export const ANONYMOUS_ADMIN: Principal = { keyId: 'anonymous', role: 'admin', tenant: DEFAULT_TENANT };

const NEW_TOKEN = 'ask for a new one with POST /api/orchestrator/sessions/<id>/events/token';
const STREAM_TOKEN_REFUSALS: Record<StreamTokenRefusal, string> = {
  malformed: `The stream token is malformed: pass it as ?token= exactly as it was given, or ${NEW_TOKEN}`,
  unknown: `The stream token has expired (or was never issued): ${NEW_TOKEN}`,
  other_session: "The stream token is for another session's events: each token opens the stream of the session it was issued for",
};

interface AuthRequest {
  headers: Record<string, string | string[] | undefined>;
  query?: Record<string, unknown>;
  params?: Record<string, string>;
  principal?: Principal;
}

/**
 * Authenticates every request by its API key (or, on a session's event stream only, a stream
 * token) and checks the route's least role. A route without an `@Access` or `@Public` rule is
 * for admins only, so a forgotten rule fails closed.
 */
@Injectable()
export class AuthGuard implements CanActivate {
  readonly ring: ApiKeyRing;

  constructor(
    private readonly reflector: Reflector,
    @Inject(SWITCHYARD_CONFIG) private readonly config: SwitchyardConfig,
    private readonly streamTokens: StreamTokens,
  ) {
    this.ring = new ApiKeyRing(config.apiKeys);
  }

  async canActivate(context: ExecutionContext): Promise<boolean> {
    if (context.getType() !== 'http') return true;
    const rule = this.reflector.getAllAndOverride<AccessRule | undefined>(ACCESS, [context.getHandler(), context.getClass()]) ?? { role: 'admin' };
    if (rule === 'public') return true;
    const request = context.switchToHttp().getRequest<AuthRequest>();
    const principal = request.query?.token !== undefined ? await this.authenticateStreamToken(context, request) : this.authenticate(request.headers);
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

  /**
   * The principal of a request that presents `?token=`: the key's that asked for the token, if the
   * route takes stream tokens and the token opens the stream of the session in the path. A token
   * decides alone, even beside a key; anywhere else it is a 401.
   */
  private async authenticateStreamToken(context: ExecutionContext, request: AuthRequest): Promise<Principal> {
    if (this.config.auth === 'off') return ANONYMOUS_ADMIN;
    if (!this.reflector.get<boolean | undefined>(STREAM_TOKEN, context.getHandler())) {
      throw new UnauthorizedException(
        'A stream token is accepted only on the events route of its session (GET /api/orchestrator/sessions/<id>/events); other routes need an API key',
      );
    }
    const check = await this.streamTokens.check(request.query?.token, request.params?.id ?? '');
    if (!check.accepted) throw new UnauthorizedException(STREAM_TOKEN_REFUSALS[check.refusal]);
    return check.principal;
  }
}
