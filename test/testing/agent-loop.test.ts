import { type ToolOutcome, WardenConfigError } from 'agent-warden';
import { mockTools, runScriptedAgent, scriptedModel, UnexpectedModelCall } from 'agent-warden/testing';
import { beforeEach, describe, expect, it, vi } from 'vitest';
import { kitWarden, realSearch } from './fixtures.js';

beforeEach(() => {
  vi.clearAllMocks();
});

describe('runScriptedAgent', () => {
  it('model → tools → model: each tool outcome is fed back, the last text is the output', async () => {
    const { warden, spans } = kitWarden();
    const mocks = mockTools<typeof warden>({ search_docs: { returns: { hits: ['Refunds take 5 days'] } } });
    const model = scriptedModel([
      {
        toolCalls: [
          { name: 'search_docs', args: { q: 'refund' }, id: 'call_a' },
          { name: 'delete_account', args: {}, id: 'call_b' },
        ],
        usage: { inputTokens: 900, outputTokens: 40 },
      },
      { text: 'Refunds take 5 days.', usage: { inputTokens: 1200, outputTokens: 30 } },
    ]);
    const result = await runScriptedAgent(
      warden.withTools(mocks),
      model,
      { userId: 'u1' },
      { input: 'How long do refunds take?' },
    );
    expect(result).toMatchObject({
      status: 'completed',
      output: 'Refunds take 5 days.',
      usage: { steps: 2, toolCalls: 1, inputTokens: 2100, outputTokens: 70 },
    });
    expect(model.calls[0]).toEqual({ messages: [{ role: 'user', content: 'How long do refunds take?' }] });
    expect(model.calls[1]!.messages!.slice(1)).toEqual([
      {
        role: 'assistant',
        content: null,
        toolCalls: [
          { name: 'search_docs', args: { q: 'refund' }, id: 'call_a' },
          { name: 'delete_account', args: {}, id: 'call_b' },
        ],
      },
      {
        role: 'tool',
        toolCallId: 'call_a',
        name: 'search_docs',
        content: '{"hits":["Refunds take 5 days"]}',
      },
      {
        role: 'tool',
        toolCallId: 'call_b',
        name: 'delete_account',
        content: expect.stringContaining('"code":"tool_not_allowed"'),
      },
    ]);
    expect(spans.tree()).toBe(
      [
        'invoke_agent kit-agent          OK     run=completed steps=2 tools=1 tokens=2100/70',
        '├─ chat scripted-model          OK     tokens=900/40 finish=tool_calls',
        '├─ execute_tool search_docs     OK     outcome=ok',
        '├─ execute_tool delete_account  ERROR  outcome=tool_not_allowed',
        '└─ chat scripted-model          OK     tokens=1200/30 finish=stop',
      ].join('\n'),
    );
    await spans.shutdown();
  });

  it('passes the call id to run.tool and reports each outcome to onToolOutcome', async () => {
    const { warden } = kitWarden();
    const mocks = mockTools<typeof warden>({ search_docs: { returns: { hits: [] } } });
    const seen: Array<[string, string, boolean]> = [];
    const onToolOutcome = (call: { name: string; id: string }, outcome: ToolOutcome) => {
      seen.push([call.name, call.id, outcome.ok]);
      expect(outcome.callId).toBe(call.id);
    };
    await runScriptedAgent(
      warden.withTools(mocks),
      scriptedModel([{ toolCalls: [{ name: 'search_docs', args: { q: 'a' } }] }, { text: 'done' }]),
      {},
      { onToolOutcome },
    );
    expect(seen).toEqual([['search_docs', 'call_1_0', true]]);
    expect(mocks.search_docs.calls[0]!.ctx.callId).toBe('call_1_0');
  });

  it('a guard that ends the run resolves with status stopped; the script is left unfinished', async () => {
    const { warden } = kitWarden({ budgets: { run: { tokens: 5_000 } } });
    const mocks = mockTools<typeof warden>({ search_docs: { returns: { hits: [] } } });
    const turn = {
      toolCalls: [{ name: 'search_docs', args: { q: 'again' } }],
      usage: { inputTokens: 2_000, outputTokens: 100 },
    };
    const model = scriptedModel(
      Array.from({ length: 6 }, (_, i) => ({
        ...turn,
        toolCalls: [{ name: 'search_docs', args: { q: `q${i}` } }],
      })),
    );
    const result = await runScriptedAgent(warden.withTools(mocks), model, { userId: 'u1' });
    expect(result).toMatchObject({
      status: 'stopped',
      stop: { code: 'budget_exceeded', dimension: 'tokens', scope: 'run', limit: 5_000, used: 6_300 },
    });
    // The third turn passed the budget; the run stopped before its tool call.
    expect(model.remaining).toBe(3);
    expect(mocks.search_docs.calls).toHaveLength(2);
  });

  it('a script that runs out makes the run reject with UnexpectedModelCall', async () => {
    const { warden } = kitWarden();
    const mocks = mockTools<typeof warden>({ search_docs: { returns: { hits: [] } } });
    const model = scriptedModel([{ toolCalls: [{ name: 'search_docs', args: { q: 'a' } }] }]);
    const error = await runScriptedAgent(warden.withTools(mocks), model, {}).catch((e: unknown) => e);
    expect(UnexpectedModelCall.isInstance(error)).toBe(true);
    expect((error as UnexpectedModelCall).call).toBe(2);
  });

  it('an unmocked tool makes the run reject; the real execute does not run', async () => {
    const { warden } = kitWarden();
    const model = scriptedModel([{ toolCalls: [{ name: 'search_docs', args: { q: 'a' } }] }, { text: 'x' }]);
    const error = await runScriptedAgent(warden.withTools({}), model).catch((e: unknown) => e);
    expect(WardenConfigError.isInstance(error)).toBe(true);
    expect(realSearch).not.toHaveBeenCalled();
  });

  it('maxTurns bounds the loop', async () => {
    const { warden } = kitWarden();
    const mocks = mockTools<typeof warden>({ search_docs: { returns: { hits: [] } } });
    const model = scriptedModel(
      Array.from({ length: 5 }, (_, i) => ({ toolCalls: [{ name: 'search_docs', args: { q: `q${i}` } }] })),
    );
    const error = await runScriptedAgent(warden.withTools(mocks), model, {}, { maxTurns: 2 }).catch((e) => e);
    expect(WardenConfigError.isInstance(error)).toBe(true);
    expect((error as Error).message).toMatch(/2 model turns without a final answer/);
    await expect(runScriptedAgent(warden, model, {}, { maxTurns: 0 })).rejects.toThrow(/maxTurns/);
  });

  it('accepts a conversation as input', async () => {
    const { warden } = kitWarden();
    const model = scriptedModel([{ text: 'Hello Ann.' }]);
    const result = await runScriptedAgent(
      warden,
      model,
      {},
      {
        input: [
          { role: 'system', content: 'You are a support agent.' },
          { role: 'user', content: 'Hi, I am Ann.' },
        ],
      },
    );
    expect(result).toMatchObject({ status: 'completed', output: 'Hello Ann.' });
    expect(model.calls[0]!.messages).toHaveLength(2);
  });
});
