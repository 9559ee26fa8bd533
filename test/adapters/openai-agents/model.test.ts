import { Agent, type ModelResponse, Runner, run as runAgent } from '@openai/agents';
import {
  assistantMessage,
  modelResponder,
  modelStreamResponder,
  ScriptedModel,
} from '@openai/agents/testing';
import { WardenConfigError, WardenError } from 'agent-warden';
import { agentsUsage, toAgentsTools, wardenModel, wardenModelProvider } from 'agent-warden/openai-agents';
import { afterEach, describe, expect, it } from 'vitest';
import { callTurn, MODEL, runInside, scriptedAgent, setup, textTurn, usage } from './helpers.js';

const closers: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

function fixture(options: Parameters<typeof setup>[0] = {}) {
  const s = setup(options);
  closers.push(
    () => s.warden.close(),
    () => s.tracing.shutdown(),
  );
  return s;
}

/** A model that keeps calling search_docs, forever. */
function looping(n: number) {
  return Array.from({ length: n }, (_, i) =>
    callTurn([['search_docs', { query: `query ${i}` }, `call_${i}`]]),
  );
}

describe('wardenModel', () => {
  it('counts every model turn: steps, tokens, cached tokens and cost, with a chat span under the run span', async () => {
    const { warden, tracing } = fixture();
    const { agent } = scriptedAgent(warden, [
      {
        ...callTurn([['search_docs', { query: 'refunds' }, 'call_1']], usage(1_000, 100, 400)),
        responseId: 'resp_1',
      },
      textTurn('Done.', usage(2_000, 50)),
    ]);

    const result = await warden.run({ userId: 'u1' }, (run) => runInside(run, agent));

    expect(result.status).toBe('completed');
    expect(result.usage).toMatchObject({
      steps: 2,
      toolCalls: 1,
      inputTokens: 3_000,
      outputTokens: 150,
      cachedInputTokens: 400,
    });
    // 2600 uncached * $2 + 400 cached * $0.5 + 150 out * $8, per million tokens.
    expect(result.usage.costUsd).toBeCloseTo((2_600 * 2 + 400 * 0.5 + 150 * 8) / 1e6, 10);
    const runSpan = tracing.one('invoke_agent agents-test');
    const chats = tracing.byName(`chat ${MODEL}`);
    expect(chats).toHaveLength(2);
    for (const chat of chats) expect(tracing.parentOf(chat)).toBe(runSpan.spanContext().spanId);
    expect(chats[0]!.attributes).toMatchObject({
      'gen_ai.provider.name': 'openai',
      'gen_ai.request.model': MODEL,
      'gen_ai.usage.input_tokens': 1_000,
      'gen_ai.usage.output_tokens': 100,
      'gen_ai.usage.cache_read.input_tokens': 400,
      'gen_ai.usage.cost.currency': 'USD',
      'gen_ai.response.id': 'resp_1',
    });
  });

  it('a step budget stops the SDK loop before the next model call', async () => {
    const { warden, execute } = fixture({ budgets: { run: { steps: 2 } } });
    const { model, agent } = scriptedAgent(warden, looping(5));

    const result = await warden.run({}, (run) => runInside(run, agent, 'loop', 20));

    expect(result.status).toBe('stopped');
    expect(result.status === 'stopped' && result.stop).toMatchObject({
      code: 'budget_exceeded',
      dimension: 'steps',
      scope: 'run',
      limit: 2,
      used: 2,
    });
    expect(model.calls).toHaveLength(2);
    expect(execute.search).toHaveBeenCalledTimes(2);
    expect(result.usage.steps).toBe(2);
  });

  it('a token budget stops the SDK loop: the framework does not call the model again', async () => {
    const { warden, execute } = fixture({ budgets: { run: { tokens: 200 } } });
    const { model, agent } = scriptedAgent(warden, looping(5)); // 110 tokens per turn

    const result = await warden.run({}, (run) => runInside(run, agent, 'loop', 20));

    expect(result.status === 'stopped' && result.stop).toMatchObject({
      code: 'budget_exceeded',
      dimension: 'tokens',
      limit: 200,
      used: 220,
    });
    expect(model.calls).toHaveLength(2);
    // The second turn's tool call found the budget spent and stopped the run before executing.
    expect(execute.search).toHaveBeenCalledTimes(1);
  });

  it('a cost budget stops the SDK loop', async () => {
    const { warden } = fixture({ budgets: { run: { costUsd: 0.0004 } } }); // $0.00028 per turn
    const { model, agent } = scriptedAgent(warden, looping(5));
    const result = await warden.run({}, (run) => runInside(run, agent, 'loop', 20));
    expect(result.status === 'stopped' && result.stop).toMatchObject({
      code: 'budget_exceeded',
      dimension: 'costUsd',
    });
    expect(model.calls).toHaveLength(2);
  });

  it('stops with usage_unavailable when a response carries no usage (the SDK writes zeros)', async () => {
    const { warden } = fixture();
    const { model, agent } = scriptedAgent(warden, [
      [assistantMessage('no usage here')],
      textTurn('unreached'),
    ]);
    const result = await warden.run({}, (run) => runInside(run, agent));
    expect(result.status === 'stopped' && result.stop).toMatchObject({
      code: 'usage_unavailable',
      model: MODEL,
    });
    expect(model.calls).toHaveLength(1);
  });

  it('reads usage with options.usage when given', async () => {
    const { warden } = fixture();
    const scripted = new ScriptedModel([[assistantMessage('hi')]]);
    const agent = new Agent({
      name: 'a',
      model: wardenModel(scripted, { model: MODEL, usage: () => ({ inputTokens: 7, outputTokens: 3 }) }),
    });
    const result = await warden.run({}, (run) => runInside(run, agent));
    expect(result.status).toBe('completed');
    expect(result.usage).toMatchObject({ steps: 1, inputTokens: 7, outputTokens: 3 });
  });

  it('counts streamed turns from their response_done event, and stops a streamed run on budget', async () => {
    const { warden, execute } = fixture({ budgets: { run: { steps: 2 } } });
    const { model, agent } = scriptedAgent(warden, looping(5));

    const result = await warden.run({}, async (run) => {
      const stream = await runAgent(agent, 'loop', { stream: true, maxTurns: 20, signal: run.signal });
      for await (const _event of stream) {
        // drain
      }
      await stream.completed;
      if (stream.error) throw stream.error;
      return stream.finalOutput;
    });

    expect(result.status === 'stopped' && result.stop).toMatchObject({
      code: 'budget_exceeded',
      dimension: 'steps',
    });
    expect(model.calls).toHaveLength(2);
    expect(model.calls.every((c) => c.streamed)).toBe(true);
    expect(result.usage).toMatchObject({ steps: 2, inputTokens: 200, outputTokens: 20 });
    expect(execute.search).toHaveBeenCalledTimes(2);
  });

  it('a caller abort during a model call ends the run as aborted, even if the model ignores its signal', async () => {
    const { warden } = fixture();
    const controller = new AbortController();
    const scripted = new ScriptedModel([
      modelResponder(() => {
        controller.abort('user left');
        return new Promise<ModelResponse>(() => {}); // never settles
      }),
    ]);
    const agent = new Agent({ name: 'a', model: wardenModel(scripted, { model: MODEL }) });
    const result = await warden.run({ signal: controller.signal }, (run) => runInside(run, agent));
    expect(result.status === 'stopped' && result.stop).toMatchObject({
      code: 'aborted',
      reason: 'user left',
    });
  });

  it('a stop ends a streamed call even when the model stream ignores its signal', async () => {
    const { warden } = fixture();
    const controller = new AbortController();
    const scripted = new ScriptedModel([
      modelStreamResponder(async function* () {
        yield { type: 'response_started' } as const;
        controller.abort('user left');
        await new Promise(() => {}); // never sends another event
      }),
    ]);
    const agent = new Agent({ name: 'a', model: wardenModel(scripted, { model: MODEL }) });
    const result = await warden.run({ signal: controller.signal }, async (run) => {
      const stream = await runAgent(agent, 'hi', { stream: true, signal: run.signal });
      for await (const _event of stream) {
        // drain
      }
      await stream.completed;
      return stream.finalOutput;
    });
    expect(result.status === 'stopped' && result.stop).toMatchObject({
      code: 'aborted',
      reason: 'user left',
    });
    expect(result.usage.steps).toBe(1);
  });

  it('throws outside a run and never calls the wrapped model', async () => {
    const scripted = new ScriptedModel([textTurn('x')]);
    const agent = new Agent({ name: 'a', model: wardenModel(scripted, { model: MODEL }) });
    await expect(runAgent(agent, 'hi')).rejects.toSatisfy(
      (e) => WardenError.isInstance(e) && e.code === 'no_current_run',
    );
    expect(scripted.calls).toHaveLength(0);
  });

  it('checks its options', () => {
    const scripted = new ScriptedModel([]);
    expect(() => wardenModel(scripted)).toThrow(WardenConfigError);
    expect(() => wardenModel(scripted)).toThrow(/does not expose its name/);
    expect(() => wardenModel({} as never, { model: MODEL })).toThrow(/expected an Agents SDK Model/);
    expect(() => wardenModel(scripted, { model: MODEL, usage: 5 as never })).toThrow(WardenConfigError);
    const wrapped = wardenModel(scripted, { model: MODEL });
    expect(wardenModel(wrapped, { model: 'other' })).toBe(wrapped);
    expect(() => wardenModelProvider({} as never)).toThrow(WardenConfigError);
  });
});

describe('wardenModelProvider', () => {
  it('wraps the models a Runner resolves by name', async () => {
    const { warden, tracing } = fixture();
    const scripted = new ScriptedModel([textTurn('from the provider', usage(50, 5))]);
    const asked: Array<string | undefined> = [];
    const runner = new Runner({
      modelProvider: wardenModelProvider({
        getModel: (name) => {
          asked.push(name);
          return scripted;
        },
      }),
    });
    const agent = new Agent({ name: 'named', model: MODEL, tools: toAgentsTools(warden) });
    const result = await warden.run({}, async (run) => {
      const r = await runner.run(agent, 'hi', { signal: run.signal });
      return r.finalOutput;
    });
    expect(result.status === 'completed' && result.output).toBe('from the provider');
    expect(asked).toEqual([MODEL]);
    expect(result.usage).toMatchObject({ steps: 1, inputTokens: 50, outputTokens: 5 });
    expect(tracing.byName(`chat ${MODEL}`)).toHaveLength(1);
  });
});

describe('agentsUsage', () => {
  it('maps the SDK Usage and treats missing or all-zero usage as unavailable', () => {
    expect(agentsUsage(usage(1_000, 200, 300))).toEqual({
      inputTokens: 1_000,
      outputTokens: 200,
      cachedInputTokens: 300,
      reasoningTokens: 0,
    });
    expect(
      agentsUsage({
        inputTokens: 10,
        outputTokens: 4,
        inputTokensDetails: { cached_tokens: 2 },
        outputTokensDetails: [{ reasoning_tokens: 1 }, { reasoning_tokens: 2 }],
      }),
    ).toEqual({ inputTokens: 10, outputTokens: 4, cachedInputTokens: 2, reasoningTokens: 3 });
    expect(agentsUsage(usage(0, 0))).toBeNull();
    expect(agentsUsage(undefined)).toBeNull();
    expect(agentsUsage({ inputTokens: 'x', outputTokens: 1 })).toBeNull();
  });
});
