import { CommanderError } from 'commander';
import { BadRequestError, ConnectionError, ForbiddenError, NotFoundError, ServiceUnavailableError, UnauthorizedError } from '@switchyard/client';
import { describeFailure, EXIT, UsageError } from './cli-failure';

const URL = 'http://127.0.0.1:3000';
const problem = (status: number, title: string, detail: string, errors: { path: string; message: string }[] = []) => ({
  type: 'about:blank',
  title,
  status,
  detail,
  errors,
});

describe('describeFailure', () => {
  it('names every culprit of a 400 and says to fix them, exit 2', () => {
    const error = new BadRequestError(
      problem(400, 'Validation failed', 'two problems', [
        { path: 'plan.tasks[0].capabilities[0]', message: 'unknown capability "ghost"' },
        { path: 'plan.tasks[1].id', message: 'duplicate id "a"' },
      ]),
    );
    expect(describeFailure(error, URL)).toEqual({
      line: 'switchyard: the API refused it (400 Validation failed): plan.tasks[0].capabilities[0]: unknown capability "ghost"; plan.tasks[1].id: duplicate id "a"; fix what it names and try again',
      code: EXIT.refused,
    });
  });

  it('says what to do about a missing key, a low role, an unknown id and a server in trouble', () => {
    expect(describeFailure(new UnauthorizedError(problem(401, 'Unauthorized', 'no API key')), URL).line).toContain(
      `set SWITCHYARD_API_KEY to a key the API at ${URL} knows`,
    );
    expect(describeFailure(new ForbiddenError(problem(403, 'Forbidden', 'viewer')), URL).line).toContain('use a key with a higher role');
    expect(describeFailure(new NotFoundError(problem(404, 'Not Found', 'no session')), URL).line).toContain('switchyard sessions list');
    const unavailable = describeFailure(new ServiceUnavailableError(problem(503, 'Service Unavailable', 'Redis is unreachable'), 2), URL);
    expect(unavailable).toEqual({
      line: expect.stringMatching(/^switchyard: the API failed it \(503 Service Unavailable\): Redis is unreachable; try again later/),
      code: 2,
    });
  });

  it('tells to check SWITCHYARD_URL when nothing answers, and passes usage errors through as one line', () => {
    const down = describeFailure(new ConnectionError(`${URL}/api/orchestrator/agents`, new Error('connect ECONNREFUSED')), URL);
    expect(down).toEqual({
      line: `switchyard: cannot reach ${URL}/api/orchestrator/agents: connect ECONNREFUSED; is the API running there? Set SWITCHYARD_URL to its address`,
      code: 2,
    });
    expect(describeFailure(new UsageError('--param goes with --template NAME'), URL)).toEqual({
      line: 'switchyard: --param goes with --template NAME',
      code: 2,
    });
  });

  it('leaves commander its own message: help exits 0, a usage error 2', () => {
    expect(describeFailure(new CommanderError(0, 'commander.helpDisplayed', '(outputHelp)'), URL)).toEqual({ line: '', code: 0 });
    expect(describeFailure(new CommanderError(1, 'commander.unknownOption', "error: unknown option '--x'"), URL)).toEqual({ line: '', code: 2 });
  });
});
