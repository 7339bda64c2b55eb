import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigurationError, toSwitchyardConfig, validateEnvironment } from './switchyard-config';

/** The message validateEnvironment throws for `env`, or undefined when it takes it. */
function problem(env: Record<string, string>): string | undefined {
  try {
    validateEnvironment(env);
    return undefined;
  } catch (error) {
    return (error as ConfigurationError).message;
  }
}

describe('validateEnvironment', () => {
  it('gives every variable its default in an empty environment (and treats empty as unset)', () => {
    expect(toSwitchyardConfig(validateEnvironment({ PORT: '' }))).toEqual({
      redisUrl: 'redis://127.0.0.1:6379',
      redisCluster: [],
      port: 3000,
      prefix: 'sy',
      shards: 1,
      logLevel: 'info',
      offlineLatencyMs: 0,
      maxPlanTasks: 10_000,
      maxPlanDepth: 16,
      redisWaitMs: 2000,
      shutdownTimeoutMs: 30_000,
      workerHealthPort: 3001,
      retentionSeconds: 86_400,
      bodyLimitBytes: 1_048_576,
      bodyTimeoutMs: 10_000,
      maxJsonDepth: 64,
      lockDurationMs: 30_000,
      redisRetrySeconds: 600,
      maxOutputBytes: 1_048_576,
      maxSessionBytes: 67_108_864,
      idempotencyTtlSeconds: 86_400,
      streamTokenTtlSeconds: 300,
      rateLimit: 6000,
      tenantRateLimit: 24_000,
      rateWindowMs: 60_000,
      corsOrigins: [],
      fairShare: { weights: {}, maxRunning: 0, turnMs: 1000, turns: true },
      auth: 'on',
      apiKeys: [],
      bullBoard: 'readonly',
      uiDir: 'dist/ui',
      usage: { maxTaskDeltas: 10_000, prices: {}, limits: {} },
      models: {
        provider: 'offline',
        baseUrl: 'https://api.openai.com/v1',
        apiKey: undefined,
        model: undefined,
        timeoutMs: 60_000,
        maxRetries: 2,
        byAgent: {},
        promptMaxTokens: 16_000,
        planRepairRounds: 2,
      },
      tools: { workspaceDir: join(tmpdir(), 'switchyard-workspace'), httpAllowedHosts: [], httpTimeoutMs: 30_000, httpMaxResponseBytes: 1_048_576 },
      state: { lockRedisUrls: [], lockTtlMs: 10_000, lockWaitMs: 10_000, maxKeyBytes: 256, maxValueBytes: 1_048_576, temporaryTtlMs: 3_600_000 },
      logMaxEntries: 10_000,
      logFlushMs: 10,
      heartbeatMs: 5000,
      agentTtlMs: 15_000,
      remoteLeaseMs: 30_000,
      admissionTimeoutMs: 0,
      hostedAgentTypes: [],
      agentConcurrency: 0,
      guestCapabilities: ['web_research', 'document_analysis', 'data_synthesis', 'document_creation', 'presentation', 'data_analysis', 'pattern_recognition'],
    });
  });

  it('reads and converts given values', () => {
    const config = toSwitchyardConfig(validateEnvironment({ PORT: '8080', SWITCHYARD_PREFIX: 'prod-eu', SWITCHYARD_SHARDS: '4', UNRELATED: 'x' }));
    expect(config).toMatchObject({ port: 8080, prefix: 'prod-eu', shards: 4 });
  });

  it('takes a worker health port, 0 for any free one, or off; names the variable otherwise', () => {
    const port = (value: string) => toSwitchyardConfig(validateEnvironment({ SWITCHYARD_WORKER_HEALTH_PORT: value })).workerHealthPort;
    expect(port('8081')).toBe(8081);
    expect(port('0')).toBe(0);
    expect(port('off')).toBe('off');
    for (const bad of ['on', '70000', '-1', '3001.5']) expect(() => port(bad)).toThrow(/SWITCHYARD_WORKER_HEALTH_PORT/);
  });

  it("gives a tenant four keys' worth of requests unless SWITCHYARD_TENANT_RATE_LIMIT says otherwise (0: no limit)", () => {
    const limits = (env: Record<string, string>) => {
      const { rateLimit, tenantRateLimit } = toSwitchyardConfig(validateEnvironment(env));
      return { rateLimit, tenantRateLimit };
    };
    expect(limits({ SWITCHYARD_RATE_LIMIT: '100' })).toEqual({ rateLimit: 100, tenantRateLimit: 400 });
    expect(limits({ SWITCHYARD_RATE_LIMIT: '0' })).toEqual({ rateLimit: 0, tenantRateLimit: 0 });
    expect(limits({ SWITCHYARD_RATE_LIMIT: '100', SWITCHYARD_TENANT_RATE_LIMIT: '150' })).toEqual({ rateLimit: 100, tenantRateLimit: 150 });
    expect(limits({ SWITCHYARD_RATE_LIMIT: '100', SWITCHYARD_TENANT_RATE_LIMIT: '0' })).toEqual({ rateLimit: 100, tenantRateLimit: 0 });
    expect(() => validateEnvironment({ SWITCHYARD_TENANT_RATE_LIMIT: '-1' })).toThrow(/SWITCHYARD_TENANT_RATE_LIMIT must be at least 0/);
  });

  it('bounds the JSON depth of request bodies well below where schema validation would overflow', () => {
    expect(toSwitchyardConfig(validateEnvironment({ SWITCHYARD_MAX_JSON_DEPTH: '128' })).maxJsonDepth).toBe(128);
    expect(() => validateEnvironment({ SWITCHYARD_MAX_JSON_DEPTH: '513' })).toThrow(/SWITCHYARD_MAX_JSON_DEPTH/);
    expect(() => validateEnvironment({ SWITCHYARD_MAX_JSON_DEPTH: '1' })).toThrow(/SWITCHYARD_MAX_JSON_DEPTH/);
  });

  it('reads the lock servers of the quorum setup as a comma-separated list', () => {
    const config = toSwitchyardConfig(validateEnvironment({ SWITCHYARD_LOCK_REDIS_URLS: 'redis://a:1, redis://b:2,redis://c:3' }));
    expect(config.state.lockRedisUrls).toEqual(['redis://a:1', 'redis://b:2', 'redis://c:3']);
    expect(() => validateEnvironment({ SWITCHYARD_LOCK_REDIS_URLS: 'redis://a:1,b:2' })).toThrow(/SWITCHYARD_LOCK_REDIS_URLS/);
  });

  it('reads the seed nodes of SWITCHYARD_REDIS_CLUSTER, and names it when one is not host:port', () => {
    const config = toSwitchyardConfig(validateEnvironment({ SWITCHYARD_REDIS_CLUSTER: '10.0.0.1:7000, redis-b:7001,redis-c:7002' }));
    expect(config.redisCluster).toEqual([
      { host: '10.0.0.1', port: 7000 },
      { host: 'redis-b', port: 7001 },
      { host: 'redis-c', port: 7002 },
    ]);
    expect(() => validateEnvironment({ SWITCHYARD_REDIS_CLUSTER: 'redis://a:7000' })).toThrow(/SWITCHYARD_REDIS_CLUSTER/);
    expect(() => validateEnvironment({ SWITCHYARD_REDIS_CLUSTER: 'a:7000,b' })).toThrow(/SWITCHYARD_REDIS_CLUSTER/);
  });

  it('names every bad variable at once', () => {
    try {
      validateEnvironment({ PORT: '70000', SWITCHYARD_SHARDS: '0', REDIS_URL: 'localhost:6379' });
      throw new Error('expected a ConfigurationError');
    } catch (error) {
      expect(error).toBeInstanceOf(ConfigurationError);
      expect((error as ConfigurationError).problems.map((p) => p.variable).sort()).toEqual(['PORT', 'REDIS_URL', 'SWITCHYARD_SHARDS']);
      expect((error as Error).message).toContain('PORT: PORT must be at most 65535');
    }
  });

  it('takes SWITCHYARD_BULL_BOARD as readonly, full or off, and names it otherwise', () => {
    expect(toSwitchyardConfig(validateEnvironment({ SWITCHYARD_BULL_BOARD: 'off' })).bullBoard).toBe('off');
    expect(() => validateEnvironment({ SWITCHYARD_BULL_BOARD: 'rw' })).toThrow(
      'SWITCHYARD_BULL_BOARD: SWITCHYARD_BULL_BOARD must be one of readonly, full, off',
    );
  });

  it("reads the model provider and the tool agents' limits", () => {
    const config = toSwitchyardConfig(
      validateEnvironment({
        SWITCHYARD_MODEL_PROVIDER: 'openai',
        SWITCHYARD_OPENAI_BASE_URL: 'http://127.0.0.1:11434/v1',
        SWITCHYARD_MODEL: 'llama3.1',
        SWITCHYARD_HTTP_ALLOWED_HOSTS: ' API.example.com, 127.0.0.1:8080,*.internal.example ',
        SWITCHYARD_WORKSPACE_DIR: '/srv/work',
      }),
    );
    expect(config.models).toMatchObject({ provider: 'openai', baseUrl: 'http://127.0.0.1:11434/v1', model: 'llama3.1', apiKey: undefined });
    expect(config.tools).toMatchObject({ workspaceDir: '/srv/work', httpAllowedHosts: ['api.example.com', '127.0.0.1:8080', '*.internal.example'] });
  });

  it('names the model and the allowed hosts when they are wrong', () => {
    const problems = (env: Record<string, string>) => {
      try {
        validateEnvironment(env);
        return [];
      } catch (error) {
        return (error as ConfigurationError).problems;
      }
    };
    expect(problems({ SWITCHYARD_MODEL_PROVIDER: 'openai' })).toEqual([
      { variable: 'SWITCHYARD_MODEL', message: 'SWITCHYARD_MODEL is required when SWITCHYARD_MODEL_PROVIDER is openai' },
    ]);
    expect(problems({ SWITCHYARD_MODEL_PROVIDER: 'anthropic' }).map((p) => p.variable)).toEqual(['SWITCHYARD_MODEL_PROVIDER']);
    expect(problems({ SWITCHYARD_HTTP_ALLOWED_HOSTS: 'http://api.example.com/' }).map((p) => p.variable)).toEqual(['SWITCHYARD_HTTP_ALLOWED_HOSTS']);
    expect(problems({ SWITCHYARD_OPENAI_BASE_URL: 'localhost:11434' }).map((p) => p.variable)).toEqual(['SWITCHYARD_OPENAI_BASE_URL']);
  });

  it('wants an agent to outlive a missed heartbeat, and reads lists', () => {
    expect(() => validateEnvironment({ SWITCHYARD_HEARTBEAT_MS: '5000', SWITCHYARD_AGENT_TTL_MS: '5000' })).toThrow(
      'SWITCHYARD_AGENT_TTL_MS must be longer than SWITCHYARD_HEARTBEAT_MS',
    );
    expect(() => validateEnvironment({ SWITCHYARD_GUEST_CAPABILITIES: 'web_research,Bad Name' })).toThrow('SWITCHYARD_GUEST_CAPABILITIES');
    const config = toSwitchyardConfig(validateEnvironment({ SWITCHYARD_AGENTS: 'researcher, coder', SWITCHYARD_GUEST_CAPABILITIES: 'web_research' }));
    expect(config).toMatchObject({ hostedAgentTypes: ['researcher', 'coder'], guestCapabilities: ['web_research'] });
    expect(toSwitchyardConfig(validateEnvironment({ SWITCHYARD_AGENT_CONCURRENCY: '1' })).agentConcurrency).toBe(1);
    expect(() => validateEnvironment({ SWITCHYARD_AGENT_CONCURRENCY: '-1' })).toThrow(/SWITCHYARD_AGENT_CONCURRENCY/);
  });

  it('reads model prices and limits as JSON, and names what is wrong in them', () => {
    const config = toSwitchyardConfig(
      validateEnvironment({
        SWITCHYARD_MODEL_PRICES: '{"gpt-4o-mini":{"prompt":0.15,"completion":0.6}}',
        SWITCHYARD_MODEL_LIMITS: '{"*":{"rpm":60},"gpt-4o-mini":{"rpm":500,"tpm":200000}}',
      }),
    );
    expect(config.usage.prices).toEqual({ 'gpt-4o-mini': { prompt: 0.15, completion: 0.6 } });
    expect(config.usage.limits).toEqual({ '*': { rpm: 60 }, 'gpt-4o-mini': { rpm: 500, tpm: 200000 } });
    expect(problem({ SWITCHYARD_MODEL_PRICES: 'gpt: 1' })).toContain('SWITCHYARD_MODEL_PRICES: SWITCHYARD_MODEL_PRICES must be a JSON object');
    expect(problem({ SWITCHYARD_MODEL_PRICES: '{"m":{"prompt":"cheap","completion":1}}' })).toContain('SWITCHYARD_MODEL_PRICES.m.prompt must be a number');
    expect(problem({ SWITCHYARD_MODEL_PRICES: '{"m":{"prompt":-1,"completion":1}}' })).toContain('SWITCHYARD_MODEL_PRICES.m.prompt must be 0 or more');
    expect(problem({ SWITCHYARD_MODEL_LIMITS: '{"m":{"rpm":0}}' })).toContain('SWITCHYARD_MODEL_LIMITS.m.rpm must be more than 0');
    expect(problem({ SWITCHYARD_MODEL_LIMITS: '{"m":{}}' })).toContain('SWITCHYARD_MODEL_LIMITS.m needs rpm, tpm or both');
    expect(problem({ SWITCHYARD_MODEL_LIMITS: '[1]' })).toContain('SWITCHYARD_MODEL_LIMITS must be a JSON object');
  });

  it('reads tenant weights and the running cap, and names what is wrong in them', () => {
    const config = toSwitchyardConfig(validateEnvironment({ SWITCHYARD_TENANT_WEIGHTS: '{"acme":3,"globex":0.5}', SWITCHYARD_TENANT_MAX_RUNNING: '4' }));
    expect(config.fairShare).toEqual({ weights: { acme: 3, globex: 0.5 }, maxRunning: 4, turnMs: 1000, turns: true });
    expect(problem({ SWITCHYARD_TENANT_WEIGHTS: 'acme=3' })).toContain('SWITCHYARD_TENANT_WEIGHTS must be a JSON object');
    expect(problem({ SWITCHYARD_TENANT_WEIGHTS: '{"acme":0}' })).toContain('SWITCHYARD_TENANT_WEIGHTS.acme must be more than 0');
    expect(problem({ SWITCHYARD_TENANT_WEIGHTS: '{"acme":"high"}' })).toContain('SWITCHYARD_TENANT_WEIGHTS.acme must be a number');
    expect(problem({ SWITCHYARD_TENANT_MAX_RUNNING: '-1' })).toContain('SWITCHYARD_TENANT_MAX_RUNNING must be at least 0');
  });

  it('turns fair share on by default; SWITCHYARD_FAIR_SHARE=off turns the clock off and keeps the cap', () => {
    const fair = (env: Record<string, string>) => toSwitchyardConfig(validateEnvironment(env)).fairShare;
    expect(fair({}).turns).toBe(true);
    expect(fair({ SWITCHYARD_FAIR_SHARE: 'on' }).turns).toBe(true);
    expect(fair({ SWITCHYARD_FAIR_SHARE: 'off', SWITCHYARD_TENANT_MAX_RUNNING: '2' })).toMatchObject({ turns: false, maxRunning: 2 });
    expect(problem({ SWITCHYARD_FAIR_SHARE: 'false' })).toContain('SWITCHYARD_FAIR_SHARE must be "on" or "off"');
  });
});
