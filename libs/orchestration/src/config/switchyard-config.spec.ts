import { ConfigurationError, toSwitchyardConfig, validateEnvironment } from './switchyard-config';

describe('validateEnvironment', () => {
  it('gives every variable its default in an empty environment (and treats empty as unset)', () => {
    expect(toSwitchyardConfig(validateEnvironment({ PORT: '' }))).toEqual({
      redisUrl: 'redis://127.0.0.1:6379', port: 3000, prefix: 'sy', shards: 1, logLevel: 'info',
      offlineLatencyMs: 0, maxPlanTasks: 10_000, maxPlanDepth: 16, shutdownTimeoutMs: 30_000, retentionSeconds: 86_400, bodyLimitBytes: 1_048_576, lockDurationMs: 30_000,
      heartbeatMs: 5000, agentTtlMs: 15_000, admissionTimeoutMs: 0, hostedAgentTypes: [],
      guestCapabilities: ['web_research', 'document_analysis', 'data_synthesis', 'document_creation', 'presentation', 'data_analysis', 'pattern_recognition'],
    });
  });

  it('reads and converts given values', () => {
    const config = toSwitchyardConfig(validateEnvironment({ PORT: '8080', SWITCHYARD_PREFIX: 'prod-eu', SWITCHYARD_SHARDS: '4', UNRELATED: 'x' }));
    expect(config).toMatchObject({ port: 8080, prefix: 'prod-eu', shards: 4 });
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

  it('wants an agent to outlive a missed heartbeat, and reads lists', () => {
    expect(() => validateEnvironment({ SWITCHYARD_HEARTBEAT_MS: '5000', SWITCHYARD_AGENT_TTL_MS: '5000' })).toThrow(
      'SWITCHYARD_AGENT_TTL_MS must be longer than SWITCHYARD_HEARTBEAT_MS',
    );
    expect(() => validateEnvironment({ SWITCHYARD_GUEST_CAPABILITIES: 'web_research,Bad Name' })).toThrow('SWITCHYARD_GUEST_CAPABILITIES');
    const config = toSwitchyardConfig(validateEnvironment({ SWITCHYARD_AGENTS: 'researcher, coder', SWITCHYARD_GUEST_CAPABILITIES: 'web_research' }));
    expect(config).toMatchObject({ hostedAgentTypes: ['researcher', 'coder'], guestCapabilities: ['web_research'] });
  });
});
