import type { ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { createWarden, defineTool, type RedactContext, type TelemetryOptions } from 'agent-warden';
import { describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { inMemoryTracing } from '../support/otel.js';
import { expectError, expectOk } from './fixtures.js';

const ARGS = 'gen_ai.tool.call.arguments';
const RESULT = 'gen_ai.tool.call.result';

const lookupCustomer = defineTool({
  name: 'lookup_customer',
  description: 'Find a customer by email',
  input: z.object({ email: z.email(), includeOrders: z.boolean().default(false) }),
  effect: 'read',
  retry: { retries: 0 },
  execute: async ({ email }) => ({ id: 'cus_123', email, name: 'Ada Lovelace' }),
});

const failing = defineTool({
  name: 'failing',
  description: 'Always fails',
  input: z.object({ secret: z.string() }),
  effect: 'read',
  retry: { retries: 0 },
  execute: async () => {
    throw new Error('downstream exploded');
  },
});

async function callOnce(
  telemetry: Omit<TelemetryOptions, 'tracer'>,
  tool = 'lookup_customer',
  args: unknown = {
    email: 'ada@example.com',
  },
) {
  const otel = inMemoryTracing();
  const warden = createWarden({
    tools: [lookupCustomer, failing],
    telemetry: { ...telemetry, tracer: otel.tracer },
  });
  const result = await warden.run({ userId: 'u1' }, (run) =>
    run.tool(tool, JSON.stringify(args), { callId: 'c1' }),
  );
  if (result.status !== 'completed') throw new Error(`run ${result.status}`);
  return { span: otel.one(`execute_tool ${tool}`), spans: otel.spans(), outcome: result.output };
}

function everyAttributeValue(spans: readonly ReadableSpan[]) {
  return spans.flatMap((s) => [
    ...Object.values(s.attributes),
    ...s.events.flatMap((e) => Object.values(e.attributes ?? {})),
  ]);
}

describe('tool content on spans', () => {
  it('is not recorded by default: no arguments or result anywhere', async () => {
    const { span, spans, outcome } = await callOnce({});
    expect(outcome.ok).toBe(true);
    expect(span.attributes).not.toHaveProperty([ARGS]);
    expect(span.attributes).not.toHaveProperty([RESULT]);
    const values = everyAttributeValue(spans).map(String);
    expect(values.some((v) => v.includes('ada@example.com'))).toBe(false);
    expect(values.some((v) => v.includes('Lovelace'))).toBe(false);
  });

  it('recordInputs records the validated arguments as a JSON string (and only them)', async () => {
    const { span } = await callOnce({ recordInputs: true });
    expect(typeof span.attributes[ARGS]).toBe('string');
    // Defaults applied by the schema are part of what the tool received.
    expect(JSON.parse(span.attributes[ARGS] as string)).toEqual({
      email: 'ada@example.com',
      includeOrders: false,
    });
    expect(span.attributes).not.toHaveProperty([RESULT]);
  });

  it('recordOutputs records the result as a JSON string (and only it)', async () => {
    const { span } = await callOnce({ recordOutputs: true });
    expect(typeof span.attributes[RESULT]).toBe('string');
    expect(JSON.parse(span.attributes[RESULT] as string)).toEqual({
      id: 'cus_123',
      email: 'ada@example.com',
      name: 'Ada Lovelace',
    });
    expect(span.attributes).not.toHaveProperty([ARGS]);
  });

  it('redact receives (value, { kind, tool }) and its return value is what is recorded', async () => {
    const redact = vi.fn((value: unknown, _ctx: RedactContext) =>
      typeof value === 'object' && value !== null && 'email' in value
        ? { ...value, email: '[redacted]' }
        : value,
    );
    const { span, outcome } = await callOnce({ recordInputs: true, recordOutputs: true, redact });
    expect(redact.mock.calls).toEqual([
      [
        { email: 'ada@example.com', includeOrders: false },
        { kind: 'tool_arguments', tool: 'lookup_customer' },
      ],
      [
        { id: 'cus_123', email: 'ada@example.com', name: 'Ada Lovelace' },
        { kind: 'tool_result', tool: 'lookup_customer' },
      ],
    ]);
    expect(JSON.parse(span.attributes[ARGS] as string)).toEqual({
      email: '[redacted]',
      includeOrders: false,
    });
    expect(JSON.parse(span.attributes[RESULT] as string)).toEqual({
      id: 'cus_123',
      email: '[redacted]',
      name: 'Ada Lovelace',
    });
    // Redaction is for telemetry only: the loop still gets the real value.
    expect(outcome).toMatchObject({ ok: true, value: { email: 'ada@example.com' } });
  });

  it('a redact that returns a string has it recorded as is', async () => {
    const { span } = await callOnce({ recordInputs: true, redact: () => '[omitted]' });
    expect(span.attributes[ARGS]).toBe('[omitted]');
  });

  it('a redact that throws does not crash the call: the attribute is omitted', async () => {
    const redact = vi.fn(() => {
      throw new Error('redactor bug');
    });
    const { span, outcome } = await callOnce({ recordInputs: true, recordOutputs: true, redact });
    expect(redact).toHaveBeenCalledTimes(2);
    expect(outcome).toMatchObject({ ok: true, value: { id: 'cus_123' } });
    expectOk(span);
    expect(span.attributes).not.toHaveProperty([ARGS]);
    expect(span.attributes).not.toHaveProperty([RESULT]);
  });

  it('a failed call records its arguments but no result', async () => {
    const { span, outcome } = await callOnce({ recordInputs: true, recordOutputs: true }, 'failing', {
      secret: 's3cr3t',
    });
    expect(outcome.ok).toBe(false);
    expectError(span, 'tool_error');
    expect(JSON.parse(span.attributes[ARGS] as string)).toEqual({ secret: 's3cr3t' });
    expect(span.attributes).not.toHaveProperty([RESULT]);
  });

  it('arguments that fail the schema are not recorded, even with recordInputs', async () => {
    const { span, outcome } = await callOnce({ recordInputs: true }, 'lookup_customer', {
      email: 'not-an-email',
    });
    expect(outcome).toMatchObject({ ok: false, error: { code: 'invalid_arguments' } });
    expect(span.attributes).not.toHaveProperty([ARGS]);
  });

  it('with recording off, redact is never called', async () => {
    const redact = vi.fn((v: unknown) => v);
    await callOnce({ redact });
    expect(redact).not.toHaveBeenCalled();
  });
});
