import { inSpan, SpanKind } from '@switchyard/orchestration';

/**
 * Runs one tool call (`work`) in a child span of the active one (the task attempt's), named
 * `execute_tool <name>` with OpenTelemetry's GenAI attributes `gen_ai.operation.name`
 * (`execute_tool`) and `gen_ai.tool.name`, plus `attributes`. Traces off, runs `work` alone.
 */
export function traceToolCall<T>(name: string, work: () => Promise<T>, attributes: Readonly<Record<string, string | undefined>> = {}): Promise<T> {
  return inSpan(
    `execute_tool ${name}`,
    { kind: SpanKind.INTERNAL, attributes: { 'gen_ai.operation.name': 'execute_tool', 'gen_ai.tool.name': name, ...attributes } },
    work,
  );
}
