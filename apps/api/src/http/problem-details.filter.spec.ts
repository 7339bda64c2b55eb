import { ArgumentsHost, BadRequestException, HttpException, NotFoundException, ServiceUnavailableException } from '@nestjs/common';
import { ZodValidationException } from 'nestjs-zod';
import { z, ZodError } from 'zod';
import { RedisUnavailableError, SessionNotFoundError, StatePermissionError, SwitchyardError, ValidationFailedError } from '@switchyard/orchestration';
import * as orchestration from '@switchyard/orchestration';
import { ERROR_STATUS, ProblemDetailsFilter, toProblem } from './problem-details.filter';

/** What a response received: status, content type and body; `sent` once headers went out. */
function fakeResponse(headersSent = false) {
  const received: { status?: number; type?: string; body?: string; headers?: Record<string, string>; destroyed: boolean } = { destroyed: false };
  const response = {
    headersSent,
    setHeader(name: string, value: string) {
      received.headers = { ...received.headers, [name]: value };
      return response;
    },
    status(code: number) {
      received.status = code;
      return response;
    },
    type(type: string) {
      received.type = type;
      return response;
    },
    send(body: string) {
      received.body = body;
      return response;
    },
    destroy() {
      received.destroyed = true;
    },
  };
  const host = { switchToHttp: () => ({ getResponse: () => response }) } as unknown as ArgumentsHost;
  return { host, received };
}

const circular = (): Record<string, unknown> => {
  const value: Record<string, unknown> = { message: 'loops' };
  value.self = value;
  return value;
};

function overflow(): RangeError {
  const recurse = (n: number): number => recurse(n + 1) + 1;
  try {
    recurse(0);
  } catch (error) {
    return error as RangeError;
  }
  throw new Error('the stack did not overflow');
}

/** http-errors' shape, as body-parser passes its errors on. */
const bodyParserError = (status: number, message: string, props: Record<string, unknown>) =>
  Object.assign(new Error(message), { status, statusCode: status, expose: status < 500, ...props });

const zlibError = () => Object.assign(new Error('incorrect header check'), { errno: -3, code: 'Z_DATA_ERROR', status: 400, statusCode: 400, expose: true });

const zodError = (() => {
  const result = z.object({ a: z.string() }).safeParse({ a: 1 });
  return result.success ? undefined : result.error;
})();

const shapes: [string, unknown, number][] = [
  ['a ZodValidationException with issues', new ZodValidationException(zodError), 400],
  ['a ZodValidationException with an empty ZodError', new ZodValidationException(new ZodError([])), 400],
  ['a ZodValidationException over a RangeError (no issues)', new ZodValidationException(overflow()), 400],
  ['a ZodValidationException over undefined', new ZodValidationException(undefined), 500],
  ['a ZodValidationException over a string', new ZodValidationException('boom'), 500],
  [
    'a ZodValidationException whose issues are malformed',
    new ZodValidationException({ issues: [null, { path: 'x' }, { path: [Symbol('s'), 1], message: 3 }] }),
    400,
  ],
  ['a ValidationFailedError', new ValidationFailedError([{ path: 'a', message: 'bad' }]), 400],
  ['a SessionNotFoundError', new SessionNotFoundError('0-x'), 404],
  ['an HttpException with a string response', new HttpException('nope', 418), 418],
  ['an HttpException with an object response', new NotFoundException({ message: 'gone', extra: 1 }), 404],
  ['an HttpException with an array message', new BadRequestException(['one', 'two']), 400],
  ['an HttpException with an array response', new HttpException(['a', 'b'], 400), 400],
  ['an HttpException with a null response', new HttpException(null as never, 409), 409],
  ['an HttpException with a circular response', new HttpException(circular(), 400), 400],
  ['an HttpException with an unknown status', new HttpException('odd', 499), 499],
  ['a failed health check', new ServiceUnavailableException({ status: 'error', error: { redis: { message: 'down' }, other: undefined }, details: {} }), 503],
  [
    'a failed health check with a circular report',
    new ServiceUnavailableException({ status: 'error', error: { redis: { message: 'down' } }, details: circular() }),
    500,
  ],
  ['a health check shape with a null error', new ServiceUnavailableException({ status: 'error', error: null }), 503],
  ['a Redis refusal', Object.assign(new Error('OOM command not allowed'), { name: 'ReplyError' }), 503],
  ['Redis not answering', new RedisUnavailableError('redis://:secret@redis:6379', 'Command timed out', { retryAfterSeconds: 2 }), 503],
  [
    'body-parser: malformed JSON (a SyntaxError)',
    Object.assign(new SyntaxError('Unexpected token'), { status: 400, statusCode: 400, expose: true, type: 'entity.parse.failed' }),
    400,
  ],
  ['body-parser: too large', bodyParserError(413, 'request entity too large', { type: 'entity.too.large' }), 413],
  ['body-parser: unsupported charset', bodyParserError(415, 'unsupported charset "LATIN1"', { type: 'charset.unsupported', charset: 'latin1' }), 415],
  [
    'body-parser: unsupported encoding',
    bodyParserError(415, 'unsupported content encoding "compress"', { type: 'encoding.unsupported', encoding: 'compress' }),
    415,
  ],
  ['body-parser: aborted request', bodyParserError(400, 'request aborted', { type: 'request.aborted' }), 400],
  ['body-parser: a stream error (not exposed)', bodyParserError(500, 'stream is not readable', { type: 'stream.not.readable' }), 500],
  ['a zlib error body-parser passed on', zlibError(), 400],
  ['a plain object with a 4xx statusCode', { statusCode: 404, message: 'missing' }, 404],
  ['a plain object with a status out of range', { status: 999 }, 500],
  ['a plain object with a string status', { status: '400' }, 500],
  ['a plain object', { any: 'thing' }, 500],
  ['an object with circular fields', circular(), 500],
  [
    'an object whose getters throw',
    Object.defineProperty({}, 'type', {
      get: () => {
        throw new Error('trap');
      },
    }),
    500,
  ],
  ['a string', 'failed', 500],
  ['a number', 42, 500],
  ['null', null, 500],
  ['undefined', undefined, 500],
  ['a symbol', Symbol('s'), 500],
  ['a RangeError: Maximum call stack size exceeded', overflow(), 500],
  ['a TypeError', new TypeError("Cannot read properties of undefined (reading 'map')"), 500],
  ['an Error with a circular cause', Object.assign(new Error('loop'), { cause: circular() }), 500],
];

describe('ProblemDetailsFilter', () => {
  it.each(shapes)('answers %s with a well-formed problem', (_what, exception, status) => {
    const problem = toProblem(exception);
    expect(problem).toEqual(
      expect.objectContaining({ type: expect.stringMatching(/^https:\/\//), title: expect.any(String), status, detail: expect.any(String) }),
    );
    if (problem.errors) for (const error of problem.errors) expect(error).toEqual({ path: expect.any(String), message: expect.any(String) });

    const { host, received } = fakeResponse();
    const filter = new ProblemDetailsFilter();
    expect(() => filter.catch(exception, host)).not.toThrow();
    expect(received.status).toBe(status);
    expect(received.type).toBe('application/problem+json');
    expect(JSON.parse(received.body!)).toEqual(problem);
  });

  it('names every schema issue by its path', () => {
    expect(toProblem(new ZodValidationException(zodError))).toMatchObject({ status: 400, errors: [{ path: 'a', message: expect.any(String) }] });
  });

  it('names what is wrong with the body read', () => {
    expect(toProblem(bodyParserError(415, 'unsupported charset "LATIN1"', { type: 'charset.unsupported', charset: 'latin1' })).detail).toContain('LATIN1');
    expect(toProblem(bodyParserError(415, 'x', { type: 'encoding.unsupported', encoding: 'compress' })).detail).toContain('"compress"');
    expect(toProblem(zlibError()).detail).toContain('Content-Encoding');
  });

  it('tells when to send again a request that Redis could not serve, without naming the server', () => {
    const unavailable = fakeResponse();
    new ProblemDetailsFilter().catch(new RedisUnavailableError('redis://:secret@redis:6379', 'Command timed out', { retryAfterSeconds: 2 }), unavailable.host);
    expect(unavailable.received).toMatchObject({ status: 503, headers: { 'Retry-After': '2' } });
    expect(JSON.parse(unavailable.received.body!)).toMatchObject({ type: expect.stringContaining('redis-unavailable') });
    expect(unavailable.received.body).not.toContain('redis:6379');

    const refused = fakeResponse();
    new ProblemDetailsFilter().catch(Object.assign(new Error('OOM command not allowed'), { name: 'ReplyError' }), refused.host);
    expect(refused.received).toMatchObject({ status: 503, headers: { 'Retry-After': '1' } });

    const other = fakeResponse();
    new ProblemDetailsFilter().catch(new TypeError('boom'), other.host);
    expect(other.received.headers).toBeUndefined();
  });

  it('cuts a streamed answer short instead of setting headers once they are sent', () => {
    const { host, received } = fakeResponse(true);
    expect(() => new ProblemDetailsFilter().catch(new ValidationFailedError([{ path: 'a', message: 'bad' }]), host)).not.toThrow();
    expect(received).toEqual({ destroyed: true });
  });
});

/**
 * Every typed error class the orchestration library exports (those of errors/errors.ts among
 * them), the abstract base aside. libs/agents' errors (tools, models) are thrown in workers only:
 * the API runs no agent.
 */
type ErrorClass = abstract new (...args: never[]) => SwitchyardError;
const errorClasses = (Object.entries(orchestration) as [string, unknown][]).filter(
  (entry): entry is [string, ErrorClass] => typeof entry[1] === 'function' && entry[1].prototype instanceof SwitchyardError,
);

/** An instance of `type` whatever its constructor takes (its status comes from its class alone), with the fields a problem reads. */
const instanceOf = (type: ErrorClass): SwitchyardError =>
  Object.assign(Object.create(type.prototype) as SwitchyardError, { message: `a ${type.name}`, code: 'some_code', issues: [] });

describe('the status of each typed error', () => {
  it('finds the error classes to check', () => {
    expect(errorClasses.map(([name]) => name)).toEqual(expect.arrayContaining(['ValidationFailedError', 'StatePermissionError', 'DeploymentMismatchError']));
  });

  it.each(errorClasses)('maps %s explicitly, by its own class', (_name, type) => {
    expect(ERROR_STATUS.has(type)).toBe(true);
    expect(toProblem(instanceOf(type)).status).toBe(ERROR_STATUS.get(type)!.status);
  });

  it('answers a refused state write with 403', () => {
    expect(toProblem(new StatePermissionError('coder@w:1', 'readonly', 'shared'))).toMatchObject({
      status: 403,
      type: expect.stringContaining('state-permission-denied'),
    });
  });

  it('answers a typed error of a class nobody mapped with 500', () => {
    class UnmappedError extends SwitchyardError {
      readonly code = 'unmapped';
    }
    expect(toProblem(new UnmappedError('new kind of failure')).status).toBe(500);
  });
});
