import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiSecurity, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Principal, Role } from '@switchyard/orchestration';
import { ProblemDto } from '../http/problem.dto';

export const ACCESS = 'switchyard:access';
/** What a route needs: a role at least as high as `role`, or nothing (`public`). */
export type AccessRule = { readonly role: Role } | 'public';

/** The least role a route needs (viewer < operator < admin); documents 401 and 403. */
export const Access = (role: Role) =>
  applyDecorators(
    SetMetadata(ACCESS, { role } satisfies AccessRule),
    ApiBearerAuth(),
    ApiSecurity('api-key'),
    ApiUnauthorizedResponse({ type: ProblemDto, description: 'No API key, or one that is not configured' }),
    ...(role === 'viewer' ? [] : [ApiForbiddenResponse({ type: ProblemDto, description: `The key's role is below ${role}` })]),
  );

export const STREAM_TOKEN = 'switchyard:stream-token';

/**
 * The one route that also takes a stream token (`?token=`, from `POST .../events/token`) in place
 * of a key: a session's event stream, whose `:id` the token must name. Everywhere else a token is a 401.
 */
export const StreamTokenAccepted = () =>
  applyDecorators(
    SetMetadata(STREAM_TOKEN, true),
    ApiUnauthorizedResponse({ type: ProblemDto, description: 'A stream token (`?token=`) that is malformed, has expired or is for another session' }),
  );

/** A route anyone may call (probes, the API document). */
export const Public = () => SetMetadata(ACCESS, 'public' satisfies AccessRule);

/** The request's principal, as the auth guard found it. */
export const CurrentPrincipal = createParamDecorator((_: unknown, context: ExecutionContext): Principal => {
  const principal = context.switchToHttp().getRequest<{ principal?: Principal }>().principal;
  if (!principal) throw new Error('CurrentPrincipal on a route without an authenticated principal');
  return principal;
});

/** The key a request presents: `Authorization: Bearer <key>`, `X-API-Key: <key>`, or Basic auth's password (for browsers). */
export function presentedKey(headers: Record<string, string | string[] | undefined>): string | undefined {
  const header = (name: string) => {
    const value = headers[name];
    return Array.isArray(value) ? value[0] : value;
  };
  const apiKey = header('x-api-key');
  if (apiKey) return apiKey;
  const authorization = header('authorization');
  if (!authorization) return undefined;
  const [scheme, credentials = ''] = authorization.trim().split(/\s+/, 2);
  if (/^bearer$/i.test(scheme)) return credentials;
  if (/^basic$/i.test(scheme)) {
    const decoded = Buffer.from(credentials, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    return colon >= 0 ? decoded.slice(colon + 1) : undefined;
  }
  return undefined;
}
