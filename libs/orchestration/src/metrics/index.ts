export { MetricsRecorder, RunOutcome } from './metrics.recorder';
export { ClusterMetrics, ClusterStats, CapabilityStats, HistogramSummary, LiveAgentsSource, LIVE_AGENTS, MetricsSnapshot } from './cluster-metrics.service';
export { METRICS } from './metric-definitions';
