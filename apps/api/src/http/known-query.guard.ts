import { CanActivate, ExecutionContext, Injectable } from '@nestjs/common';
import { ROUTE_ARGS_METADATA } from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { ValidationFailedError } from '@switchyard/orchestration';

/**
 * Refuses query parameters a route does not declare, so a typo (`?limt=5`) is a 400 naming it
 * instead of being silently ignored. A route taking its whole query as one DTO is left to that
 * DTO's (strict) schema.
 */
@Injectable()
export class KnownQueryGuard implements CanActivate {
  /** Per handler: the names it declares with `@Query('name')`, or `'any'` for a whole-query DTO. */
  private readonly declared = new WeakMap<object, readonly string[] | 'any'>();

  canActivate(context: ExecutionContext): boolean {
    if (context.getType() !== 'http') return true;
    const given = Object.keys(context.switchToHttp().getRequest<{ query?: Record<string, unknown> }>().query ?? {});
    if (given.length === 0) return true;
    const declared = this.declaredBy(context);
    if (declared === 'any') return true;
    const unknown = given.filter((name) => !declared.includes(name));
    if (unknown.length > 0) {
      const accepted = declared.length > 0 ? `; it takes ${declared.join(', ')}` : '; it takes none';
      throw new ValidationFailedError(unknown.map((name) => ({ path: `query.${name}`, message: `is not a query parameter of this route${accepted}` })));
    }
    return true;
  }

  private declaredBy(context: ExecutionContext): readonly string[] | 'any' {
    const handler = context.getHandler();
    let declared = this.declared.get(handler);
    if (declared === undefined) {
      const args: Record<string, { data?: unknown }> = Reflect.getMetadata(ROUTE_ARGS_METADATA, context.getClass(), handler.name) ?? {};
      const queries = Object.entries(args)
        .filter(([key]) => Number(key.split(':')[0]) === RouteParamtypes.QUERY)
        .map(([, arg]) => arg.data);
      declared = queries.some((data) => data === undefined) ? 'any' : queries.map(String);
      this.declared.set(handler, declared);
    }
    return declared;
  }
}
