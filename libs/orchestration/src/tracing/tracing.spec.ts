import { ROOT_CONTEXT } from '@opentelemetry/api';
import { contextFrom, currentTraceCarrier, inSpan, markSpanFailed, tracesWanted, tracingOn } from './tracing';

describe('tracing, off (no OTLP endpoint)', () => {
  it('is asked for by an OTLP endpoint alone', () => {
    expect(tracesWanted({})).toBe(false);
    expect(tracesWanted({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' })).toBe(true);
    expect(tracesWanted({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' })).toBe(true);
  });

  it('registers nothing and leaves the work alone: no carrier, no span, no context', async () => {
    expect(tracingOn()).toBe(false);
    expect(currentTraceCarrier()).toBeUndefined();
    expect(contextFrom({ traceparent: '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01' })).toBe(ROOT_CONTEXT);
    await expect(inSpan('work', {}, async (span) => span)).resolves.toBeUndefined();
    await expect(inSpan('work', {}, () => Promise.reject(new Error('boom')))).rejects.toThrow('boom');
    expect(() => markSpanFailed(new Error('boom'))).not.toThrow();
  });
});
