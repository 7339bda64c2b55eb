import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { FieldIssue, ValidationFailedError } from '@switchyard/orchestration';

/** What a handler takes: the query parameters it names, and whether it reads a body. */
interface DeclaredInput {
  /** The names it takes, or `'any'` when it takes its query as a DTO whose fields cannot be listed. */
  readonly query: readonly string[] | 'any';
  readonly body: boolean;
}

interface RouteArg {
  readonly index: number;
  readonly data?: unknown;
}

/**
 * Refuses what a route does not take, before validation: query parameters it does not declare
 * (so a typo, `?limt=5`, is a 400 naming it instead of being silently ignored), and a body on a
 * route that reads none. A route's parameters are the names of its `@Query('name')` arguments,
 * or the fields of the object schema of its `@Query()` DTO.
 */
@Injectable()
export class KnownQueryGuard implements CanActivate {
  private readonly declared = new WeakMap<object, DeclaredInput>();

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const request = context.switchToHttp().getRequest<{ query?: Record<string, unknown>; body?: unknown }>();
    const declared = this.declaredBy(context);
    const issues = [...unknownQuery(Object.keys(request.query ?? {}), declared.query), ...(declared.body ? [] : unwantedBody(request.body))];
    if (issues.length > 0) throw new ValidationFailedError(issues);
    return true;
  }

  private declaredBy(context: ExecutionContext): DeclaredInput {
    const handler = context.getHandler();
    let declared = this.declared.get(handler);
    if (declared === undefined) {
      const args: Record<string, RouteArg> = Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ?? {};
      const types: unknown[] = Reflect.getMetadata('design:paramtypes', context.getClass().prototype, handler.name) ?? [];
      const of = (type: RouteParamtypes) =>
        Object.entries(args)
          .filter(([key]) => Number(key.split(':')[0]) === type)
          .map(([, arg]) => arg);
      const queries = of(RouteParamtypes.QUERY).map((arg) => (arg.data === undefined ? fieldsOf(types[arg.index]) : [String(arg.data)]));
      declared = {
        query: queries.some((names) => names === 'any') ? 'any' : (queries as string[][]).flat(),
        body: of(RouteParamtypes.BODY).length > 0,
      };
      this.declared.set(handler, declared);
    }
    return declared;
  }
}

/** The fields of a nestjs-zod DTO's object schema, or `'any'` for a type whose fields are unknown. */
function fieldsOf(type: unknown): readonly string[] | 'any' {
  const shape = (type as { schema?: { shape?: unknown } } | undefined)?.schema?.shape;
  return shape !== null && typeof shape === 'object' ? Object.keys(shape) : 'any';
}

function unknownQuery(given: readonly string[], declared: readonly string[] | 'any'): FieldIssue[] {
  if (declared === 'any') return [];
  const accepted = declared.length > 0 ? `; it takes ${declared.join(', ')}` : '; it takes none';
  return given
    .filter((name) => !declared.includes(name))
    .map((name) => ({ path: `query.${name}`, message: `is not a query parameter of this route${accepted}` }));
}

/** Nothing, or an empty object, is no body; anything else on a route that reads none is refused. */
function unwantedBody(body: unknown): FieldIssue[] {
  if (body === undefined) return [];
  if (body !== null && typeof body === 'object' && !Array.isArray(body)) {
    return Object.keys(body).map((name) => ({ path: `body.${name}`, message: 'is not a field of this route: it takes no body' }));
  }
  return [{ path: '(body)', message: 'this route takes no body' }];
}
