import { SpanStatusCode } from '@opentelemetry/api';
import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { type AuditEvent, createWarden, memoryAudit, type WardenOptions } from 'agent-warden';
import { expect } from 'vitest';
import { inMemoryTracing } from '../support/otel.js';

/** A warden wired to a real OTel SDK tracer and an in-memory audit sink. */
export function setup(options: Omit<WardenOptions, 'audit' | 'telemetry'> = {}) {
  const tracing = inMemoryTracing();
  const audit = memoryAudit();
  const warden = createWarden({ ...options, audit, telemetry: { tracer: tracing.tracer } });
  return {
    warden,
    audit,
    tracing,
    /** The one finished span called `name`. */
    span: (name: string) => tracing.one(name),
    /** Audit events of `type`, as plain records. */
    events: (type: AuditEvent['type']) => audit.ofType(type) as Array<AuditEvent & Record<string, unknown>>,
  };
}

/** An OpenAI Chat Completions response with usage, as `run.model` reads it. */
export function completion(inputTokens: number, outputTokens: number, cachedTokens = 0, content = 'ok') {
  return {
    id: 'chatcmpl-1',
    object: 'chat.completion',
    model: 'gpt-test',
    choices: [{ index: 0, message: { role: 'assistant', content }, finish_reason: 'stop' }],
    usage: {
      prompt_tokens: inputTokens,
      completion_tokens: outputTokens,
      total_tokens: inputTokens + outputTokens,
      prompt_tokens_details: { cached_tokens: cachedTokens },
    },
  };
}

/** The span failed with `code` as its `error.type`. */
export function expectFailedSpan(span: ReadableSpan, code: string): void {
  expect(span.status.code).toBe(SpanStatusCode.ERROR);
  expect(span.attributes['error.type']).toBe(code);
}

/** A promise that never settles and ignores every signal. */
export function never<T = never>(): Promise<T> {
  return new Promise<T>(() => {});
}

/** Let pending microtasks and one macrotask run. */
export function tick(ms = 0): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/**
 * The run was stopped with `stop` (matched partially): the result says so, the run span failed with
 * the code, and the audit trail has the matching `run_finished` (and `budget_exceeded`) event.
 */
export function expectStopped(
  t: ReturnType<typeof setup>,
  result: { status: string; runId: string },
  stop: { code: string } & Record<string, unknown>,
): void {
  expect(result).toMatchObject({ status: 'stopped', stop });
  const span = t.tracing.spans().find((s) => s.attributes['warden.run.id'] === result.runId);
  expect(span, 'run span').toBeDefined();
  expectFailedSpan(span!, stop.code);
  expect(span!.attributes['warden.stop.code']).toBe(stop.code);
  const finished = t.events('run_finished').filter((e) => e.runId === result.runId);
  expect(finished).toEqual([expect.objectContaining({ status: 'stopped', stopCode: stop.code })]);
  if (stop.code === 'budget_exceeded') {
    const { code: _code, message: _message, ...details } = stop;
    const exceeded = t.events('budget_exceeded').filter((e) => e.runId === result.runId);
    expect(exceeded).toEqual([expect.objectContaining(details)]);
  }
}
