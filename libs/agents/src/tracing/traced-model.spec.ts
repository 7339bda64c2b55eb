import { traceModelCalls, tracedModelOf } from './traced-model';

describe('traceModelCalls', () => {
  it('answers the provider itself when traces are off: nothing is wrapped', () => {
    const provider = { complete: async () => ({ text: '', model: 'm' }) };
    expect(traceModelCalls(provider, { provider: 'openai', model: 'm' })).toBe(provider);
  });

  it('names the provider and the default model SWITCHYARD_MODEL_PROVIDER and SWITCHYARD_MODEL give', () => {
    expect(tracedModelOf({ models: { provider: 'offline' } } as never)).toEqual({ provider: 'switchyard-offline', model: 'switchyard-offline-1' });
    expect(tracedModelOf({ models: { provider: 'openai', model: 'gpt-x' } } as never)).toEqual({ provider: 'openai', model: 'gpt-x' });
  });
});
