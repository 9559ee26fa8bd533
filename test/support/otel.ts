import {
  BasicTracerProvider,
  InMemorySpanExporter,
  type ReadableSpan,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';

/** A real OpenTelemetry SDK tracer that keeps finished spans in memory. */
export function inMemoryTracing() {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({ spanProcessors: [new SimpleSpanProcessor(exporter)] });
  const tracer = provider.getTracer('agent-warden-test');
  return {
    tracer,
    exporter,
    provider,
    spans: (): ReadableSpan[] => exporter.getFinishedSpans(),
    byName: (name: string): ReadableSpan[] => exporter.getFinishedSpans().filter((s) => s.name === name),
    one(name: string): ReadableSpan {
      const found = exporter.getFinishedSpans().filter((s) => s.name === name);
      if (found.length !== 1) throw new Error(`expected one span '${name}', found ${found.length}`);
      return found[0]!;
    },
    parentOf: (span: ReadableSpan): string | undefined => span.parentSpanContext?.spanId,
    shutdown: () => provider.shutdown(),
  };
}
