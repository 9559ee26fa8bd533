import { createWarden, defineTool, type Run, WardenConfigError } from 'agent-warden';
import {
  asOpenAIChatCompletion,
  asOpenAIResponse,
  createManualClock,
  diffRuns,
  mockTools,
  permanentError,
  type RecordingJSON,
  recordRuns,
  replayRun,
  responseToTurn,
  runScriptedAgent,
  type ScriptedModel,
  type ScriptedTurn,
  scriptedModel,
  transientError,
} from 'agent-warden/testing';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { kitWarden, realRefund, realSearch, realSend } from './fixtures.js';

beforeEach(() => {
  vi.clearAllMocks();
});

const PRICING = { 'gpt-4.1': { inputPerMTok: 2, outputPerMTok: 8 } };
const usage = (inputTokens: number, outputTokens: number) => ({ inputTokens, outputTokens });

/** A run that exercises most outcomes: ok, retried, refused by each guard, failed, timed out, malformed. */
const INCIDENT: ScriptedTurn[] = [
  {
    toolCalls: [
      { name: 'search_docs', args: { q: 'refund policy' } }, // 503, then ok
      { name: 'delete_account', args: { userId: 'u1' } }, // not allowed
      { name: 'send_email', args: { to: 'not-an-email', subject: 'x' } }, // invalid arguments
    ],
    usage: usage(900, 60),
  },
  {
    toolCalls: [
      { name: 'send_email', args: { to: 'eve@attacker.test', subject: 'data' } }, // rule violation
      { name: 'refund_order', args: { orderId: 'o1', amount: 500 } }, // approval required
      { name: 'refund_order', args: { orderId: 'o1', amount: 50 } }, // permanent error
    ],
    usage: usage(1_400, 70),
  },
  {
    toolCalls: [
      { name: 'search_docs', args: { q: 'broken' } }, // malformed result
      { name: 'search_docs', args: { q: 'slow' } }, // times out twice, then its breaker opens
      { name: 'send_email', args: { to: 'ann@example.com', subject: 'Your refund' } }, // ok
    ],
    usage: usage(2_000, 80),
  },
  { text: 'I refunded $50 and emailed you.', usage: usage(2_500, 20) },
];

function incidentMocks() {
  return mockTools({
    search_docs: [
      { throws: transientError(503) },
      { returns: { hits: ['30 days'] } },
      { malformed: true },
      { hangs: true },
      { hangs: true },
    ],
    refund_order: [{ throws: permanentError('order o1 is already refunded') }],
    send_email: { returns: { id: 'm1' } },
  });
}

async function recordIncident() {
  const recorder = recordRuns();
  const { warden } = kitWarden({ audit: recorder });
  const mocks = incidentMocks();
  const result = await runScriptedAgent(warden.withTools(mocks), scriptedModel(INCIDENT), {
    userId: 'u1',
    tenantId: 't1',
    sessionId: 's1',
  });
  return { recorder, result, mocks };
}

describe('recordRuns', () => {
  it('records model responses and tool calls with their content, in order', async () => {
    const { recorder, result } = await recordIncident();
    expect(recorder.content).toBe(true);
    expect(recorder.runs()).toEqual([result.runId]);
    const run = recorder.run(result.runId)!;
    expect(run).toMatchObject({
      runId: result.runId,
      agent: 'kit-agent',
      userId: 'u1',
      tenantId: 't1',
      sessionId: 's1',
      result: { status: 'completed', usage: { steps: 4, inputTokens: 6_800 } },
    });
    expect(run.turns).toHaveLength(4);
    expect(run.turns[0]).toMatchObject({
      model: 'scripted-model',
      provider: 'scripted',
      outcome: 'ok',
      usage: { inputTokens: 900, outputTokens: 60, cachedInputTokens: 0 },
      response: {
        toolCalls: [{ name: 'search_docs', args: { q: 'refund policy' }, id: 'call_1_0' }, {}, {}],
      },
    });
    expect(run.toolCalls.map((c) => [c.tool, c.outcome, c.executed, c.attempts])).toEqual([
      ['search_docs', 'ok', true, 2],
      ['delete_account', 'tool_not_allowed', false, 0],
      ['send_email', 'invalid_arguments', false, 0],
      ['send_email', 'rule_violation', false, 0],
      ['refund_order', 'approval_required', false, 0],
      ['refund_order', 'tool_error', true, 1],
      ['search_docs', 'invalid_output', true, 1],
      // 3 failures in 5 calls opened the breaker: the third attempt was refused without running.
      ['search_docs', 'circuit_open', true, 3],
      ['send_email', 'ok', true, 1],
    ]);
    expect(run.toolCalls[0]).toMatchObject({
      args: { q: 'refund policy' },
      value: { hits: ['30 days'] },
      retries: [{ attempt: 2, error: 'HTTP 503: the service is temporarily unavailable' }],
    });
    expect(run.toolCalls[5]).toMatchObject({
      error: { code: 'tool_error', message: 'refund_order failed: order o1 is already refunded' },
    });
    expect(run.events.map((e) => e.type)).toContain('approval_requested');
    expect(run.events.every((e) => !('content' in e))).toBe(true);
    expect(realSearch).not.toHaveBeenCalled();
  });

  it('is serialisable and hands out deep copies', async () => {
    const { recorder, result } = await recordIncident();
    const json = recorder.toJSON();
    expect(json).toMatchObject({ format: 'agent-warden.recording', version: 1 });
    expect(JSON.parse(JSON.stringify(recorder))).toEqual(json);
    const copy = recorder.run(result.runId)!;
    copy.toolCalls.length = 0;
    (json.runs[0]!.turns[0]!.response as { toolCalls: unknown[] }).toolCalls.length = 0;
    expect(recorder.run(result.runId)!.toolCalls).toHaveLength(9);
    expect(recorder.toJSON()).toEqual(JSON.parse(JSON.stringify(recorder)));
  });

  it('copies values when they are written, so later changes to them do not show', async () => {
    const recorder = recordRuns();
    const { warden } = kitWarden({ audit: recorder });
    const value = { hits: ['original'] };
    const test = warden.withTools(mockTools({ search_docs: { returns: value } }));
    const result = await test.run({}, async (run) => {
      const outcome = await run.tool('search_docs', { q: 'x' });
      value.hits.push('changed');
      return outcome;
    });
    expect(recorder.run(result.runId)!.toolCalls[0]!.value).toEqual({ hits: ['original'] });
  });

  it('fromJSON loads what JSON.stringify saved, as text or parsed', async () => {
    const { recorder, result } = await recordIncident();
    const text = JSON.stringify(recorder);
    expect(recordRuns.fromJSON(text).run(result.runId)).toEqual(recorder.run(result.runId));
    expect(recordRuns.fromJSON(JSON.parse(text) as RecordingJSON).runs()).toEqual([result.runId]);
    expect(() => recordRuns.fromJSON('{')).toThrow(/recordRuns.fromJSON: not valid JSON/);
    expect(() => recordRuns.fromJSON({ runs: [] } as never)).toThrow(/format: 'agent-warden.recording'/);
    expect(() =>
      recordRuns.fromJSON({ format: 'agent-warden.recording', version: 1, runs: [{ id: 1 }] } as never),
    ).toThrow(/runs\[0\]/);
  });

  it('keeps the last maxRuns runs and can be cleared', async () => {
    const recorder = recordRuns({ maxRuns: 2 });
    const { warden } = kitWarden({ audit: recorder });
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push((await warden.run({}, () => i)).runId);
    expect(recorder.runs()).toEqual(ids.slice(1));
    recorder.clear();
    expect(recorder.runs()).toEqual([]);
    expect(() => recordRuns({ maxRuns: 0 })).toThrow(WardenConfigError);
  });

  it('ignores events that belong to no run', () => {
    const recorder = recordRuns();
    recorder.write({ seq: 1, ts: 0, type: 'killed', scope: 'global' });
    expect(recorder.runs()).toEqual([]);
  });
});

describe('replayRun', () => {
  it('rebuilds the model and mocks so a replay reproduces every outcome', async () => {
    const { recorder, result, mocks } = await recordIncident();
    const replay = replayRun(recorder, result.runId);
    expect(replay.model.turns).toHaveLength(4);
    expect(replay.runOptions).toEqual({ userId: 'u1', tenantId: 't1', sessionId: 's1' });
    expect(Object.keys(replay.tools).sort()).toEqual(['refund_order', 'search_docs', 'send_email']);

    const again = recordRuns();
    const { warden } = kitWarden({ audit: again });
    const replayed = await runScriptedAgent(warden.withTools(replay.tools), replay.model, replay.runOptions);

    expect(replayed).toMatchObject({ status: 'completed', output: 'I refunded $50 and emailed you.' });
    expect(replayed.usage).toEqual(result.usage);
    expect(diffRuns(recorder, again)).toBeNull();
    // Every recorded execute attempt was consumed, no more.
    for (const name of ['search_docs', 'refund_order', 'send_email'] as const) {
      expect(replay.tools[name]!.calls.length, name).toBe(mocks[name].calls.length);
    }
    expect(replay.model.remaining).toBe(0);
    expect(realSearch).not.toHaveBeenCalled();
    expect(realSend).not.toHaveBeenCalled();
    expect(realRefund).not.toHaveBeenCalled();
  });

  it('replays from saved JSON, with the run id optional for a one-run recording', async () => {
    const { recorder } = await recordIncident();
    const saved = JSON.parse(JSON.stringify(recorder)) as RecordingJSON;
    const replay = replayRun(saved);
    const again = recordRuns();
    const { warden } = kitWarden({ audit: again });
    await runScriptedAgent(warden.withTools(replay.tools), replay.model, replay.runOptions);
    expect(diffRuns(saved, again)).toBeNull();
  });

  it('replays a hand-written OpenAI Chat Completions loop: turns, usage, model and cost', async () => {
    const loop = async (run: Run, model: ScriptedModel) => {
      for (;;) {
        const completion = await run.model({ provider: 'openai', model: 'gpt-4.1' }, async () =>
          asOpenAIChatCompletion(model.next(), { model: 'gpt-4.1-2025-04-14' }),
        );
        const message = completion.choices[0]!.message;
        if (!message.tool_calls) return message.content;
        for (const call of message.tool_calls) {
          await run.tool(call.function.name, call.function.arguments, { callId: call.id });
        }
      }
    };
    const recorder = recordRuns();
    const options = { audit: recorder, pricing: PRICING, budgets: { run: { costUsd: 1 } } };
    const { warden } = kitWarden(options);
    const mocks = mockTools({ search_docs: { returns: { hits: ['5 days'] } } });
    const original = await warden.withTools(mocks).run({ userId: 'u1' }, (run) =>
      loop(
        run,
        scriptedModel([
          {
            toolCalls: [
              { name: 'search_docs', args: { q: 'refund' } },
              { name: 'nope', args: {} },
            ],
            usage: { inputTokens: 1_000, outputTokens: 50, cachedInputTokens: 200 },
          },
          { text: 'Refunds take 5 days.', usage: usage(1_500, 20) },
        ]),
      ),
    );
    expect(original.status).toBe('completed');
    expect(recorder.run(original.runId)!.turns[0]!.response).toMatchObject({ object: 'chat.completion' });

    const replay = replayRun(recorder, original.runId);
    expect(replay.model.spec).toEqual({ model: 'gpt-4.1', provider: 'openai' });
    expect(replay.model.turns[0]).toEqual({
      toolCalls: [
        { name: 'search_docs', args: '{"q":"refund"}', id: 'call_1_0' },
        { name: 'nope', args: '{}', id: 'call_1_1' },
      ],
      usage: { inputTokens: 1_000, outputTokens: 50, cachedInputTokens: 200 },
      model: 'gpt-4.1',
    });
    const again = recordRuns();
    const { warden: fresh } = kitWarden({ ...options, audit: again });
    const replayed = await runScriptedAgent(fresh.withTools(replay.tools), replay.model, replay.runOptions);
    expect(replayed).toMatchObject({ status: 'completed', output: 'Refunds take 5 days.' });
    expect(replayed.usage.costUsd).toBe(original.usage.costUsd);
    expect(replayed.usage.costUsd).toBeGreaterThan(0);
    expect(diffRuns(recorder, again)).toBeNull();
  });

  it('replays OpenAI Responses API responses', async () => {
    const recorder = recordRuns();
    const { warden } = kitWarden({ audit: recorder, pricing: PRICING });
    const mocks = mockTools({ search_docs: { returns: { hits: ['5 days'] } } });
    const model = scriptedModel([
      {
        toolCalls: [{ name: 'search_docs', args: { q: 'refund' } }],
        text: 'Let me check.',
        usage: usage(800, 30),
      },
      { text: 'Five days.', usage: usage(900, 10) },
    ]);
    const original = await warden.withTools(mocks).run({ userId: 'u2' }, async (run) => {
      for (;;) {
        const response = await run.model({ provider: 'openai', model: 'gpt-4.1' }, async () =>
          asOpenAIResponse(model.next()),
        );
        const calls = response.output.filter((item) => item.type === 'function_call');
        if (calls.length === 0) return response.output_text;
        for (const call of calls) await run.tool(call.name, call.arguments, { callId: call.call_id });
      }
    });
    const replay = replayRun(recorder);
    expect(replay.model.turns.map((t) => t.text)).toEqual(['Let me check.', 'Five days.']);
    const again = recordRuns();
    const { warden: fresh } = kitWarden({ audit: again, pricing: PRICING });
    const replayed = await runScriptedAgent(fresh.withTools(replay.tools), replay.model, replay.runOptions);
    expect(replayed).toMatchObject({
      status: 'completed',
      output: original.status === 'completed' && original.output,
    });
    expect(diffRuns(recorder, again)).toBeNull();
  });

  it('replays timeouts and transient failures attempt by attempt', async () => {
    const lookup = defineTool({
      name: 'lookup',
      description: 'Look something up',
      input: z.object({ id: z.string() }),
      effect: 'read',
      timeoutMs: 20,
      retry: { retries: 1, minDelayMs: 10 },
      breaker: { volumeThreshold: 100 },
      execute: () => ({ found: true }),
    });
    const make = (audit: ReturnType<typeof recordRuns>) =>
      createWarden({ tools: [lookup], audit, clock: createManualClock(), random: () => 0 });
    const turns = [
      {
        toolCalls: [
          { name: 'lookup', args: { id: 'slow' } },
          { name: 'lookup', args: { id: 'down' } },
          { name: 'lookup', args: { id: 'flaky' } },
        ],
      },
      { text: 'done' },
    ];
    const recorder = recordRuns();
    const mocks = mockTools({
      lookup: [
        { hangs: true },
        { hangs: true },
        { throws: transientError(502, 'bad gateway') },
        { throws: transientError(502, 'bad gateway') },
        { hangs: true },
        { returns: { found: 'at last' } },
      ],
    });
    await runScriptedAgent(make(recorder).withTools(mocks), scriptedModel(turns));
    const run = recorder.run(recorder.runs()[0]!)!;
    expect(run.toolCalls.map((c) => c.outcome)).toEqual(['tool_timeout', 'tool_error', 'ok']);
    expect(run.toolCalls[1]!.error!.message).toBe(
      'lookup failed: bad gateway (a temporary failure; you may try again later)',
    );

    const replay = replayRun(recorder);
    const again = recordRuns();
    await runScriptedAgent(make(again).withTools(replay.tools), replay.model);
    expect(diffRuns(recorder, again)).toBeNull();
    expect(replay.tools.lookup!.calls).toHaveLength(6);
  });

  it('reproduces a stopped run', async () => {
    const recorder = recordRuns();
    const { warden } = kitWarden({ audit: recorder, budgets: { run: { steps: 2 } } });
    const looping = Array.from({ length: 4 }, (_, i) => ({
      toolCalls: [{ name: 'search_docs', args: { q: `q${i}` } }],
    }));
    const mocks = mockTools({ search_docs: { returns: { hits: [] } } });
    const original = await runScriptedAgent(warden.withTools(mocks), scriptedModel(looping), {});
    expect(original).toMatchObject({
      status: 'stopped',
      stop: { code: 'budget_exceeded', dimension: 'steps' },
    });

    const replay = replayRun(recorder);
    const again = recordRuns();
    const { warden: fresh } = kitWarden({ audit: again, budgets: { run: { steps: 2 } } });
    const replayed = await runScriptedAgent(fresh.withTools(replay.tools), replay.model, {});
    expect(replayed).toMatchObject({
      status: 'stopped',
      stop: original.status === 'stopped' && original.stop,
    });
    expect(diffRuns(recorder, again)).toBeNull();
  });

  it('replaying against a looser warden fails loudly when a tool the recording never ran is executed', async () => {
    const recorder = recordRuns();
    const { warden } = kitWarden({ audit: recorder });
    const turns = [
      { toolCalls: [{ name: 'send_email', args: { to: 'ann@example.com', subject: 'x' } }] },
      { text: 'done' },
    ];
    await runScriptedAgent(warden.withTools({}), scriptedModel(turns), { tools: ['search_docs'] });
    const replay = replayRun(recorder);
    expect(Object.keys(replay.tools)).toEqual([]);
    // Without the recorded narrowing, send_email is allowed, and it has no mock.
    const { warden: fresh } = kitWarden();
    await expect(runScriptedAgent(fresh.withTools(replay.tools), replay.model, {})).rejects.toThrow(
      /withTools\.send_email: tool 'send_email' was called but has no mock/,
    );
  });

  it('names what it cannot replay', async () => {
    const recorder = recordRuns();
    const { warden } = kitWarden({ audit: recorder });
    const first = await warden.run({}, (run) => run.recordUsage({ model: 'm' }, usage(1, 1)));
    await warden.run({}, () => 'second');
    expect(() => replayRun(recorder)).toThrow(/replayRun\(runId\): the recording has 2 runs/);
    expect(() => replayRun(recorder, 'nope')).toThrow(/no run 'nope' in the recording/);
    expect(() => replayRun(recorder, first.runId)).toThrow(
      /replayRun\.turns\[0\]: this model call has no recorded response/,
    );
    expect(() => replayRun({} as never)).toThrow(/expected a recordRuns\(\) recorder/);

    const odd = recordRuns();
    const { warden: other } = kitWarden({ audit: odd });
    const { runId } = await other.run({}, (run) =>
      run.model({ model: 'm' }, async () => ({ usage_metadata: { input_tokens: 1, output_tokens: 1 } })),
    );
    expect(() => replayRun(odd, runId)).toThrow(/cannot read tool calls and text from this response/);
  });
});

describe('responseToTurn', () => {
  it('reads scripted turns, Chat Completions and Responses; null for anything else', () => {
    const turn = { toolCalls: [{ name: 'a', args: { x: 1 }, id: 'c1' }], text: 'hi' };
    expect(responseToTurn(turn)).toEqual(turn);
    expect(responseToTurn(asOpenAIChatCompletion(turn))).toEqual({
      ...turn,
      toolCalls: [{ name: 'a', args: '{"x":1}', id: 'c1' }],
    });
    expect(responseToTurn(asOpenAIResponse(turn))).toEqual({
      ...turn,
      toolCalls: [{ name: 'a', args: '{"x":1}', id: 'c1' }],
    });
    expect(responseToTurn({ content: [] })).toBeNull();
    expect(responseToTurn('text')).toBeNull();
  });
});

describe('diffRuns', () => {
  it('reports the first differing tool outcome', async () => {
    const { recorder } = await recordIncident();
    const replay = replayRun(recorder);
    const again = recordRuns();
    const { warden } = kitWarden({ audit: again });
    // The fix under test: this run may not send email.
    await runScriptedAgent(warden.withTools(replay.tools), replay.model, {
      ...replay.runOptions,
      tools: ['search_docs', 'refund_order'],
    });
    const diff = diffRuns(recorder, again);
    // delete_account is refused either way, but the model is now offered fewer tools.
    expect(diff).toMatchObject({
      index: 2,
      kind: 'tool_outcome',
      a: {
        call: 1,
        tool: 'delete_account',
        outcome: 'tool_not_allowed',
        error: { message: expect.stringContaining('send_email') },
      },
      b: { call: 1, tool: 'delete_account', outcome: 'tool_not_allowed' },
    });
    expect(diff!.message).toMatch(
      /^runs diverge at step 3 \(tool call 2\): delete_account → tool_not_allowed/,
    );
    expect(diff!.b).not.toMatchObject({ error: { message: expect.stringContaining('send_email') } });
  });

  it('reports the first differing model turn, and a different result', async () => {
    const run = async (turns: ScriptedTurn[], steps = 10) => {
      const recorder = recordRuns();
      const { warden } = kitWarden({ audit: recorder, budgets: { run: { steps } } });
      await runScriptedAgent(warden, scriptedModel(turns), {});
      return recorder;
    };
    const a = await run([{ text: 'Hello', usage: usage(10, 2) }]);
    const b = await run([{ text: 'Hi', usage: usage(10, 2) }]);
    const c = await run([{ text: 'Hello', usage: usage(10, 3) }]);
    expect(diffRuns(a, b)).toMatchObject({
      index: 0,
      kind: 'model_turn',
      a: { text: 'Hello' },
      b: { text: 'Hi' },
      message: 'runs diverge at step 1 (model turn 1): text "Hello" ≠ text "Hi"',
    });
    expect(diffRuns(a, c)).toMatchObject({ index: 0, kind: 'model_turn' });
    const stopped = await run([{ text: 'Hello', usage: usage(10, 2) }], 0);
    expect(diffRuns(a, stopped)).toMatchObject({
      index: 0,
      kind: 'model_turn',
      a: { text: 'Hello' },
      b: { kind: 'result', status: 'stopped', stopCode: 'budget_exceeded' },
    });
    expect(diffRuns(a, a)).toBeNull();
  });

  it('compares JSON-string arguments with object arguments, and ignores ids and durations', async () => {
    const record = async (args: unknown, id: string) => {
      const recorder = recordRuns();
      const { warden } = kitWarden({ audit: recorder });
      const mocks = mockTools({ search_docs: { returns: { hits: [] } } });
      await runScriptedAgent(
        warden.withTools(mocks),
        scriptedModel([{ toolCalls: [{ name: 'search_docs', args, id }] }, { text: 'ok' }]),
      );
      return recorder;
    };
    const a = await record({ q: 'x' }, 'call_a');
    const b = await record('{"q":"x"}', 'call_b');
    expect(diffRuns(a, b)).toBeNull();
  });

  it('accepts recorded runs and { recording, runId }', async () => {
    const recorder = recordRuns();
    const { warden } = kitWarden({ audit: recorder });
    const one = await runScriptedAgent(warden, scriptedModel([{ text: 'a' }]));
    const two = await runScriptedAgent(warden, scriptedModel([{ text: 'b' }]));
    expect(diffRuns({ recording: recorder, runId: one.runId }, recorder.run(one.runId)!)).toBeNull();
    expect(
      diffRuns({ recording: recorder, runId: one.runId }, { recording: recorder, runId: two.runId }),
    ).toMatchObject({
      kind: 'model_turn',
    });
    expect(() => diffRuns(recorder, recorder)).toThrow(/diffRuns\(a\)\(runId\): the recording has 2 runs/);
  });

  it('a run that goes on longer diverges where the shorter one ended', async () => {
    const run = async (turns: ScriptedTurn[]) => {
      const recorder = recordRuns();
      const mocks = mockTools({ search_docs: { returns: { hits: [] } } });
      const { warden } = kitWarden({ audit: recorder });
      await runScriptedAgent(warden.withTools(mocks), scriptedModel(turns));
      return recorder;
    };
    const short = await run([{ text: 'done' }]);
    const long = await run([{ toolCalls: [{ name: 'search_docs', args: { q: 'x' } }] }, { text: 'done' }]);
    expect(diffRuns(short, long)).toMatchObject({ index: 0, kind: 'model_turn' });
  });
});
