import { Context, context, propagation, ROOT_CONTEXT, Span, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BatchSpanProcessor, TracerProvider } from '@opentelemetry/sdk-trace';
import { ATTR_SERVICE_NAME } from '@opentelemetry/semantic-conventions';

/**
 * OpenTelemetry traces (SPEC "Operator surfaces" → Traces): a trace per session, a span per task
 * attempt joined across the API → job → worker hop through the W3C trace context carried in the
 * job's data, and child spans for model and tool calls.
 *
 * Off unless `OTEL_EXPORTER_OTLP_ENDPOINT` (or `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`) is set: no
 * provider, context manager or propagator is registered, and every helper here returns at its
 * first line, so the engine's hot path pays one boolean check per task.
 */

/** A span's W3C trace context as it travels in a job's data (`traceparent`, and `tracestate` if any). */
export interface TraceCarrier {
  traceparent: string;
  tracestate?: string;
}

/** Which process exports: the resource's service name is `switchyard-<app>`. */
export type TracedApp = 'api' | 'worker';

/** The tracer every span of Switchyard comes from. */
const TRACER_NAME = 'switchyard';

let provider: TracerProvider | undefined;

/** Whether traces are on in this process (see {@link startTracing}). */
export function tracingOn(): boolean {
  return provider !== undefined;
}

/** Whether the environment asks for traces: an OTLP endpoint for them is set. */
export function tracesWanted(env: NodeJS.ProcessEnv): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT || env.OTEL_EXPORTER_OTLP_ENDPOINT);
}

/**
 * Registers the process's tracer provider, exporting by OTLP/HTTP (JSON) to the endpoint the
 * standard `OTEL_EXPORTER_OTLP_*` variables name, in batches. Does nothing when
 * {@link tracesWanted} is false or tracing is on already.
 */
export function startTracing(app: TracedApp, env: NodeJS.ProcessEnv = process.env): void {
  if (provider || !tracesWanted(env)) return;
  provider = new TracerProvider({
    resource: resourceFromAttributes({ [ATTR_SERVICE_NAME]: `switchyard-${app}` }),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter(), scheduledDelayMillis: 1000 })],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
}

/** Exports the spans still buffered and stops tracing (at the process's shutdown). Never rejects. */
export async function stopTracing(): Promise<void> {
  const stopping = provider;
  provider = undefined;
  await stopping?.shutdown().catch(() => undefined);
}

/** The active span's trace context, to carry in a job's data; nothing when tracing is off or no span is active. */
export function currentTraceCarrier(): TraceCarrier | undefined {
  if (!provider || !trace.getSpan(context.active())) return undefined;
  const carrier: Partial<TraceCarrier> = {};
  propagation.inject(context.active(), carrier);
  return carrier.traceparent ? (carrier as TraceCarrier) : undefined;
}

/** The context a carrier (a job's, or an HTTP request's headers) names; the root context without one. */
export function contextFrom(carrier: object | undefined): Context {
  if (!provider || !carrier) return ROOT_CONTEXT;
  return propagation.extract(ROOT_CONTEXT, carrier as Record<string, unknown>, {
    keys: (c) => Object.keys(c),
    get: (c, key) => {
      const value = c[key];
      return typeof value === 'string' || Array.isArray(value) ? (value as string | string[]) : undefined;
    },
  });
}

/** What a span is started with. */
export interface SpanOptions {
  /** The context the span is a child of; the active one when not given. */
  readonly parent?: Context;
  readonly kind?: SpanKind;
  readonly attributes?: Readonly<Record<string, string | number | boolean | undefined>>;
  /** Errors `work` throws that are not failures (control flow, such as BullMQ's DelayedError). */
  readonly passes?: (error: unknown) => boolean;
}

/**
 * Runs `work` inside a span named `name` (active for all `work` does, awaited or not), ended when
 * `work` settles, its status an error when `work` throws. With tracing off, runs `work` alone.
 */
export async function inSpan<T>(name: string, options: SpanOptions, work: (span: Span | undefined) => Promise<T>): Promise<T> {
  if (!provider) return work(undefined);
  const parent = options.parent ?? context.active();
  const attributes = Object.fromEntries(Object.entries(options.attributes ?? {}).filter(([, v]) => v !== undefined)) as Record<
    string,
    string | number | boolean
  >;
  const span = trace.getTracer(TRACER_NAME).startSpan(name, { kind: options.kind ?? SpanKind.INTERNAL, attributes }, parent);
  try {
    return await context.with(trace.setSpan(parent, span), () => work(span));
  } catch (error) {
    if (!options.passes?.(error)) {
      span.recordException(error as Error);
      span.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
    }
    throw error;
  } finally {
    span.end();
  }
}

/** Marks the active span (if any, traces on) failed with `error`, which the caller handles itself. */
export function markSpanFailed(error: unknown): void {
  if (!provider) return;
  const span = trace.getActiveSpan();
  span?.recordException(error as Error);
  span?.setStatus({ code: SpanStatusCode.ERROR, message: (error as Error)?.message });
}

export { SpanKind };
export type { Span };
