export { contextFrom, currentTraceCarrier, inSpan, markSpanFailed, SpanKind, startTracing, stopTracing, tracesWanted, tracingOn } from './tracing';
export type { Span, SpanOptions, TraceCarrier, TracedApp } from './tracing';
export { TracingLifecycle } from './tracing-lifecycle';
