import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  type AuditEvent,
  type AuditSink,
  createWarden,
  defineTool,
  jsonlAudit,
  memoryAudit,
  verifyAuditLog,
  WardenError,
  type WardenOptions,
} from 'agent-warden';
import { createManualClock, type ManualClock } from 'agent-warden/testing';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { inMemoryTracing } from '../support/otel.js';

const T0 = Date.UTC(2026, 2, 1, 9, 0, 0);

/** An OpenAI Chat Completions response with usage. */
function completion(promptTokens: number, completionTokens: number, finish = 'stop') {
  return {
    id: 'chatcmpl-AuD1t7x',
    object: 'chat.completion' as const,
    created: 1_772_355_600,
    model: 'gpt-4.1-2025-04-14',
    choices: [{ index: 0, message: { role: 'assistant' as const, content: 'ok' }, finish_reason: finish }],
    usage: {
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      total_tokens: promptTokens + completionTokens,
      prompt_tokens_details: { cached_tokens: 0 },
    },
  };
}

function searchTool(clock: ManualClock) {
  return defineTool({
    name: 'search_docs',
    description: 'Search the help centre',
    input: z.object({ query: z.string().min(1) }),
    effect: 'read',
    retry: { retries: 0 },
    execute: async ({ query }) => {
      clock.advance(25);
      return { hits: [query] };
    },
  });
}

const SPEC = { provider: 'openai', model: 'gpt-4.1' } as const;
const PRICING = { 'gpt-4.1': { inputPerMTok: 2, outputPerMTok: 8 } };
const IDENTITY = { userId: 'u-1', tenantId: 'acme', sessionId: 'conv-9' };

/**
 * A scripted loop: a model call, one valid and one invalid tool call, a
 * second model call that crosses the steps warning, and a third call the
 * steps budget refuses.
 */
function scenario(clock: ManualClock, extra: Partial<WardenOptions> = {}) {
  const otel = inMemoryTracing();
  const warden = createWarden({
    agent: { name: 'support-bot' },
    tools: [searchTool(clock)],
    budgets: { run: { steps: 2 } },
    pricing: PRICING,
    clock,
    telemetry: { tracer: otel.tracer },
    ...extra,
  });
  const outcomes: string[] = [];
  const run = () =>
    warden.run(IDENTITY, async (r) => {
      clock.advance(10);
      await r.model(SPEC, async () => {
        clock.advance(300);
        return completion(1000, 50, 'tool_calls');
      });
      const ok = await r.tool('search_docs', '{"query":"refund policy"}', { callId: 'call_ok' });
      const bad = await r.tool('search_docs', '{"query":""}', { callId: 'call_bad' });
      outcomes.push(ok.forModel(), bad.forModel());
      await r.model(SPEC, async () => completion(1100, 20));
      await r.model(SPEC, async () => completion(1200, 20));
      return 'unreachable';
    });
  return { warden, otel, run, outcomes };
}

describe('audit events of a run', () => {
  it('memoryAudit receives every decision in order, stamped with seq, clock time and the run identity', async () => {
    const clock = createManualClock(T0);
    const audit = memoryAudit();
    const { run } = scenario(clock, { audit });
    const result = await run();
    expect(result).toMatchObject({
      status: 'stopped',
      stop: { code: 'budget_exceeded', dimension: 'steps' },
    });

    const events = audit.events;
    expect(events.map((e) => e.type)).toEqual([
      'run_started',
      'model_call',
      'tool_call',
      'tool_call',
      'budget_warning',
      'model_call',
      'budget_exceeded',
      'run_finished',
    ]);

    // seq strictly increasing; ts from the manual clock; identity on every event.
    for (let i = 1; i < events.length; i++) expect(events[i]!.seq).toBeGreaterThan(events[i - 1]!.seq);
    for (const event of events) {
      expect(event).toMatchObject({ ...IDENTITY, runId: result.runId, traceId: result.traceId });
    }
    expect(result.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(events.map((e) => e.ts - T0)).toEqual([0, 310, 335, 335, 335, 335, 335, 335]);

    const [started, firstModel, okCall, badCall, warning, secondModel, exceeded, finished] = events as Array<
      AuditEvent & Record<string, unknown>
    >;
    expect(started).toMatchObject({ type: 'run_started', agent: 'support-bot' });
    expect(firstModel).toMatchObject({
      type: 'model_call',
      provider: 'openai',
      model: 'gpt-4.1',
      inputTokens: 1000,
      outputTokens: 50,
      cachedInputTokens: 0,
      durationMs: 300,
      outcome: 'ok',
    });
    expect(firstModel!.costUsd).toBeCloseTo((1000 * 2 + 50 * 8) / 1e6, 12);
    expect(okCall).toMatchObject({
      type: 'tool_call',
      tool: 'search_docs',
      callId: 'call_ok',
      outcome: 'ok',
      effect: 'read',
      durationMs: 25,
      argsHash: expect.stringMatching(/^[0-9a-f]{64}$/),
    });
    expect(badCall).toMatchObject({
      type: 'tool_call',
      callId: 'call_bad',
      outcome: 'invalid_arguments',
      effect: 'read',
      durationMs: 0,
    });
    // Arguments that failed validation are not hashed.
    expect(badCall).not.toHaveProperty('argsHash');
    expect(warning).toMatchObject({
      type: 'budget_warning',
      dimension: 'steps',
      scope: 'run',
      limit: 2,
      used: 2,
      ratio: 1,
    });
    expect(secondModel).toMatchObject({ type: 'model_call', inputTokens: 1100, outcome: 'ok' });
    expect(exceeded).toMatchObject({
      type: 'budget_exceeded',
      dimension: 'steps',
      scope: 'run',
      limit: 2,
      used: 2,
    });
    expect(finished).toMatchObject({
      type: 'run_finished',
      status: 'stopped',
      stopCode: 'budget_exceeded',
      usage: { steps: 2, toolCalls: 2, inputTokens: 2100, outputTokens: 70, durationMs: 335 },
    });
  });

  it('the argsHash is canonical: the same arguments in another key order hash the same', async () => {
    const clock = createManualClock(T0);
    const audit = memoryAudit();
    const tool = defineTool({
      name: 'quote',
      description: 'Price a trip',
      input: z.object({ from: z.string(), to: z.string() }),
      effect: 'read',
      execute: async () => ({ usd: 120 }),
    });
    const warden = createWarden({ tools: [tool], clock, audit });
    await warden.run({}, async (run) => {
      await run.tool('quote', '{"from":"LIS","to":"OPO"}');
      await run.tool('quote', { to: 'OPO', from: 'LIS' });
      await run.tool('quote', { from: 'OPO', to: 'LIS' });
    });
    const hashes = audit.ofType('tool_call').map((e) => e.argsHash);
    expect(hashes[0]).toBe(hashes[1]);
    expect(hashes[2]).not.toBe(hashes[0]);
  });

  it('a killed run: killed and run_finished carry the run identity and the stop code', async () => {
    const clock = createManualClock(T0);
    const audit = memoryAudit();
    const warden = createWarden({ clock, audit, pricing: PRICING });
    const result = await warden.run(IDENTITY, async (run) => {
      await run.model(SPEC, async () => completion(10, 10));
      clock.advance(1000);
      await warden.kill({ runId: run.id }, { reason: 'runaway spend' });
      await run.model(SPEC, async () => completion(10, 10));
    });
    expect(result).toMatchObject({ status: 'stopped', stop: { code: 'killed' } });

    const killed = audit.ofType('killed').filter((e) => e.runId === result.runId);
    expect(killed).toHaveLength(1);
    expect(killed[0]).toMatchObject({
      ...IDENTITY,
      traceId: result.traceId,
      scope: `run:${result.runId}`,
      reason: 'runaway spend',
      ts: T0 + 1000,
    });
    expect(audit.ofType('run_finished')).toEqual([
      expect.objectContaining({ runId: result.runId, status: 'stopped', stopCode: 'killed' }),
    ]);
    expect(audit.ofType('model_call')).toHaveLength(1);
    const seqs = audit.events.map((e) => e.seq);
    expect([...seqs].sort((a, b) => a - b)).toEqual(seqs);
    expect(new Set(seqs).size).toBe(seqs.length);
  });

  it('a completed run finishes with status completed and no stop code', async () => {
    const clock = createManualClock(T0);
    const audit = memoryAudit();
    const warden = createWarden({ clock, audit });
    const result = await warden.run({}, async (run) => {
      await run.model(SPEC, async () => completion(10, 5));
      return 'done';
    });
    expect(result.status).toBe('completed');
    const finished = audit.ofType('run_finished');
    expect(finished).toHaveLength(1);
    expect(finished[0]).toMatchObject({ status: 'completed', runId: result.runId, usage: { steps: 1 } });
    expect(finished[0]).not.toHaveProperty('stopCode');
    // No userId / tenantId / sessionId given: none are invented.
    for (const event of audit.events) {
      expect(event).not.toHaveProperty('userId');
      expect(event).not.toHaveProperty('tenantId');
      expect(event).not.toHaveProperty('sessionId');
    }
  });

  it('a failed model call and a bug in the loop: model_call says why, run_finished says error', async () => {
    const clock = createManualClock(T0);
    const audit = memoryAudit();
    const warden = createWarden({ clock, audit });
    await expect(
      warden.run(IDENTITY, async (run) => {
        await run.model(SPEC, async () => {
          clock.advance(40);
          throw Object.assign(new Error('503 Service Unavailable'), {
            name: 'InternalServerError',
            status: 503,
          });
        });
      }),
    ).rejects.toThrow('503 Service Unavailable');
    expect(audit.events.map((e) => e.type)).toEqual(['run_started', 'model_call', 'run_finished']);
    expect(audit.ofType('model_call')[0]).toMatchObject({ outcome: 'InternalServerError', durationMs: 40 });
    expect(audit.ofType('model_call')[0]).not.toHaveProperty('inputTokens');
    expect(audit.ofType('run_finished')[0]).toMatchObject({
      status: 'error',
      usage: { steps: 1, inputTokens: 0 },
    });
  });

  it('seq keeps increasing across runs of one warden', async () => {
    const audit = memoryAudit();
    const warden = createWarden({ audit });
    await warden.run({}, () => 1);
    await warden.run({}, () => 2);
    expect(audit.events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
  });
});

describe('onEvent and failing sinks', () => {
  it('onEvent receives the same events as the sink, in the same order', async () => {
    const clock = createManualClock(T0);
    const audit = memoryAudit();
    const seen: AuditEvent[] = [];
    const { run } = scenario(clock, { audit, onEvent: (e) => seen.push(e) });
    await run();
    expect(seen.length).toBeGreaterThan(5);
    expect(seen).toEqual(audit.events);
  });

  async function baseline() {
    const clock = createManualClock(T0);
    const s = scenario(clock);
    const result = await s.run();
    return { result, outcomes: s.outcomes };
  }

  const failures: Array<[string, Partial<WardenOptions>]> = [
    [
      'onEvent throws',
      {
        onEvent: () => {
          throw new Error('listener bug');
        },
      },
    ],
    [
      'the sink throws',
      {
        audit: {
          write() {
            throw new Error('disk full');
          },
        },
      },
    ],
    ['the sink rejects', { audit: { write: () => Promise.reject(new Error('EIO: i/o error, write')) } }],
    [
      'the sink rejects and onEvent throws',
      {
        audit: { write: async () => Promise.reject(new Error('network down')) },
        onEvent: () => {
          throw new TypeError('x is undefined');
        },
      },
    ],
  ];

  it.each(failures)('%s: the run ends exactly as without the failure', async (_label, options) => {
    const expected = await baseline();
    const clock = createManualClock(T0);
    const s = scenario(clock, options);
    const result = await s.run();
    expect(result.status).toBe(expected.result.status);
    if (result.status !== 'stopped' || expected.result.status !== 'stopped')
      throw new Error('expected stops');
    expect(result.stop).toEqual(expected.result.stop);
    expect(result.usage).toEqual(expected.result.usage);
    expect(s.outcomes).toEqual(expected.outcomes);
  });

  it('a failing sink does not stop onEvent from seeing every event', async () => {
    const clock = createManualClock(T0);
    const seen: AuditEvent[] = [];
    const writes: AuditEvent[] = [];
    const sink: AuditSink = {
      write(event) {
        writes.push(event);
        return Promise.reject(new Error('down'));
      },
    };
    const { run } = scenario(clock, { audit: sink, onEvent: (e) => seen.push(e) });
    await run();
    expect(seen.map((e) => e.type)).toContain('run_finished');
    expect(writes).toEqual(seen);
  });
});

describe('jsonlAudit used by a warden', () => {
  let dir: string;
  let path: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'warden-audit-'));
    path = join(dir, 'audit.jsonl');
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('writes a hash-chained log that verifies; editing one line in the middle breaks it', async () => {
    const clock = createManualClock(T0);
    const sink = jsonlAudit(path);
    const seen: AuditEvent[] = [];
    const { warden, run } = scenario(clock, { audit: sink, onEvent: (e) => seen.push(e) });
    const result = await run();
    expect(result.status).toBe('stopped');
    await warden.close();

    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    expect(lines).toHaveLength(seen.length);
    const records = lines.map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(records.map((r) => r.type)).toEqual(seen.map((e) => e.type));
    expect(records.map((r) => r.seq)).toEqual(seen.map((e) => e.seq));
    expect(records.every((r) => r.runId === result.runId && r.traceId === result.traceId)).toBe(true);

    await expect(verifyAuditLog(path)).resolves.toEqual({
      ok: true,
      lines: seen.length,
      lastHash: records.at(-1)!.hash,
    });

    // Tamper: turn the refused call's outcome into a success.
    const middle = lines.findIndex((l) => l.includes('"outcome":"invalid_arguments"'));
    expect(middle).toBeGreaterThan(0);
    expect(middle).toBeLessThan(lines.length - 1);
    const edited = [...lines];
    edited[middle] = edited[middle]!.replace('"outcome":"invalid_arguments"', '"outcome":"ok"');
    await writeFile(path, `${edited.join('\n')}\n`);
    const verdict = await verifyAuditLog(path);
    expect(verdict).toMatchObject({
      ok: false,
      lines: middle,
      error: { line: middle + 1, reason: 'hash_mismatch' },
    });
  });

  it('warden.close() closes the jsonl sink: later writes reject', async () => {
    const sink = jsonlAudit(path);
    const warden = createWarden({ audit: sink });
    await warden.run({ userId: 'u1' }, () => 'ok');
    await warden.close();
    await expect(
      sink.write({ seq: 99, ts: T0, type: 'run_started', agent: 'late' } as AuditEvent),
    ).rejects.toSatisfy((e: unknown) => WardenError.isInstance(e) && e.code === 'audit_unavailable');
    await expect(warden.run({}, () => 'again')).rejects.toThrow(/closed/);
    const verdict = await verifyAuditLog(path);
    expect(verdict).toMatchObject({ ok: true, lines: 2 });
  });
});
