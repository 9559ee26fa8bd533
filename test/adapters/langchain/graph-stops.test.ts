import { GraphRecursionError } from '@langchain/langgraph';
import { createReactAgent } from '@langchain/langgraph/prebuilt';
import { defineTool } from 'agent-warden';
import { toLangChainTools, wardenCallbacks, wardenRunConfig } from 'agent-warden/langchain';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { z } from 'zod';
import { expectStopped, setup } from '../../warden/helpers.js';
import { ask, fakeChatModel, reactGraph, type Turn } from './fixtures.js';

function searchTool() {
  const execute = vi.fn(async (a: { q: string }) => ({ hits: [a.q] }));
  const tool = defineTool({
    name: 'search',
    description: 'Search',
    input: z.object({ q: z.string() }),
    effect: 'read',
    execute,
  });
  return { tool, execute };
}

/** A model that would call `search` forever (each turn with new arguments), 100 in + 10 out tokens each. */
function endlessSearches(count = 30): Turn[] {
  return Array.from({ length: count }, (_, i) => ({
    toolCalls: [{ name: 'search', args: { q: `query ${i}` } }],
  }));
}

let consoleError: MockInstance;
beforeEach(() => {
  // LangChain logs every error a raiseError handler throws (a refused model call) before rethrowing it.
  consoleError = vi.spyOn(console, 'error').mockImplementation(() => {});
});
afterEach(() => consoleError.mockRestore());

describe('a RunStop halts the LangGraph loop', () => {
  it('tool-call budget: the stop thrown in ToolNode ends the graph; the model is not called again', async () => {
    const { tool, execute } = searchTool();
    const t = setup({ tools: [tool], budgets: { run: { toolCalls: 2 } } });
    const model = fakeChatModel(endlessSearches());
    const graph = reactGraph(model, toLangChainTools(t.warden));

    const result = await t.warden.run({}, (run) => graph.invoke(ask('go'), wardenRunConfig(run)));

    expectStopped(t, result, { code: 'budget_exceeded', dimension: 'toolCalls', limit: 2, used: 2 });
    expect(execute).toHaveBeenCalledTimes(2);
    // Three model turns asked for three searches; the third search stopped the run before a fourth turn.
    expect(model.callCount).toBe(3);
    expect(result.usage).toMatchObject({ steps: 3, toolCalls: 2 });
  });

  it("LangGraph's prebuilt createReactAgent is halted the same way", async () => {
    const { tool, execute } = searchTool();
    const t = setup({ tools: [tool], budgets: { run: { toolCalls: 2 } } });
    const model = fakeChatModel(endlessSearches());
    const agent = createReactAgent({ llm: model, tools: toLangChainTools(t.warden) });

    const result = await t.warden.run({}, (run) => agent.invoke(ask('go'), wardenRunConfig(run)));

    expectStopped(t, result, { code: 'budget_exceeded', dimension: 'toolCalls', limit: 2 });
    expect(execute).toHaveBeenCalledTimes(2);
    expect(model.callCount).toBe(3);
    expect(result.usage.steps).toBe(3);
  });

  it('step budget: the callback refuses the model call before the model runs', async () => {
    const { tool, execute } = searchTool();
    const t = setup({ tools: [tool], budgets: { run: { steps: 2 } } });
    const model = fakeChatModel(endlessSearches());
    const graph = reactGraph(model, toLangChainTools(t.warden));

    const result = await t.warden.run({}, (run) => graph.invoke(ask('go'), wardenRunConfig(run)));

    expectStopped(t, result, { code: 'budget_exceeded', dimension: 'steps', limit: 2, used: 2 });
    expect(model.callCount).toBe(2);
    expect(execute).toHaveBeenCalledTimes(2);
    expect(t.tracing.byName('chat FakeBuiltModel')).toHaveLength(2);
  });

  it('token budget: usage from usage_metadata is counted; the run stops before more work', async () => {
    const { tool, execute } = searchTool();
    const t = setup({ tools: [tool], budgets: { run: { tokens: 250 } } });
    const model = fakeChatModel(endlessSearches());
    const graph = reactGraph(model, toLangChainTools(t.warden));

    const result = await t.warden.run({}, (run) => graph.invoke(ask('go'), wardenRunConfig(run)));

    // 110 tokens a turn: 220 after two turns is under 250, so a third turn runs (the overshoot is one
    // call, as with run.model); its 330 tokens stop the run at the next guard — the tool call.
    expectStopped(t, result, { code: 'budget_exceeded', dimension: 'tokens', limit: 250, used: 330 });
    expect(model.callCount).toBe(3);
    expect(execute).toHaveBeenCalledTimes(2);
    expect(result.usage).toMatchObject({ inputTokens: 300, outputTokens: 30 });
  });

  it('loop detection: identical calls in a row stop the graph', async () => {
    const { tool, execute } = searchTool();
    const t = setup({ tools: [tool], loops: { maxRepeats: 2 } });
    const same: Turn = { toolCalls: [{ name: 'search', args: { q: 'same' } }] };
    const model = fakeChatModel([same, same, same, same, same]);
    const graph = reactGraph(model, toLangChainTools(t.warden));

    const result = await t.warden.run({}, (run) => graph.invoke(ask('go'), wardenRunConfig(run)));

    expectStopped(t, result, { code: 'loop_detected', tool: 'search' });
    expect(execute).toHaveBeenCalledTimes(2);
    expect(model.callCount).toBe(3);
  });

  it('a kill while a tool runs stops the graph at once', async () => {
    let killRun: (() => Promise<void>) | undefined;
    const execute = vi.fn(async () => {
      await killRun?.();
      return 'done';
    });
    const tool = defineTool({
      name: 'work',
      description: 'Work',
      input: z.object({}),
      effect: 'read',
      execute,
    });
    const t = setup({ tools: [tool] });
    const model = fakeChatModel([{ toolCalls: [{ name: 'work', args: {} }] }, { text: 'never' }]);
    const graph = reactGraph(model, toLangChainTools(t.warden));

    const result = await t.warden.run({}, (run) => {
      killRun = () => t.warden.kill({ runId: run.id }, { reason: 'operator' });
      return graph.invoke(ask('go'), wardenRunConfig(run));
    });

    expectStopped(t, result, { code: 'killed', reason: 'operator' });
    expect(model.callCount).toBe(1);
  });

  it("the caller's abort signal stops the graph with 'aborted'", async () => {
    const controller = new AbortController();
    const execute = vi.fn(async () => {
      controller.abort('user left');
      return 'done';
    });
    const tool = defineTool({
      name: 'work',
      description: 'Work',
      input: z.object({}),
      effect: 'read',
      execute,
    });
    const t = setup({ tools: [tool] });
    const model = fakeChatModel([{ toolCalls: [{ name: 'work', args: {} }] }, { text: 'never' }]);
    const graph = reactGraph(model, toLangChainTools(t.warden));

    const result = await t.warden.run({ signal: controller.signal }, (run) =>
      graph.invoke(ask('go'), wardenRunConfig(run)),
    );

    expectStopped(t, result, { code: 'aborted', reason: 'user left' });
    expect(model.callCount).toBe(1);
  });
});

describe('what each half of the config does (pass both)', () => {
  it('callbacks only: ToolNode swallows the stop, but the next model call is refused', async () => {
    const { tool, execute } = searchTool();
    const t = setup({ tools: [tool], budgets: { run: { toolCalls: 1 } } });
    const model = fakeChatModel(endlessSearches());
    const graph = reactGraph(model, toLangChainTools(t.warden));

    const result = await t.warden.run({}, () => graph.invoke(ask('go'), { callbacks: [wardenCallbacks()] }));

    expectStopped(t, result, { code: 'budget_exceeded', dimension: 'toolCalls' });
    expect(execute).toHaveBeenCalledTimes(1);
    expect(model.callCount).toBe(2);
    expect(consoleError).toHaveBeenCalledWith(expect.stringMatching(/WardenCallbackHandler.*RunStop/));
  });

  it('signal only: the graph halts on the stop, but model calls are not counted', async () => {
    const { tool } = searchTool();
    const t = setup({ tools: [tool], budgets: { run: { toolCalls: 1 } } });
    const model = fakeChatModel(endlessSearches());
    const graph = reactGraph(model, toLangChainTools(t.warden));

    const result = await t.warden.run({}, (run) => graph.invoke(ask('go'), { signal: run.signal }));

    expectStopped(t, result, { code: 'budget_exceeded', dimension: 'toolCalls' });
    expect(model.callCount).toBe(2);
    expect(result.usage.steps).toBe(0);
  });

  it('neither: the stop is still the result and tools stay blocked, but the graph keeps calling the model', async () => {
    const { tool, execute } = searchTool();
    const t = setup({ tools: [tool], budgets: { run: { toolCalls: 1 } } });
    const model = fakeChatModel([...endlessSearches(4), { text: 'giving up' }]);
    const graph = reactGraph(model, toLangChainTools(t.warden));

    const result = await t.warden.run({}, () => graph.invoke(ask('go')));

    expectStopped(t, result, { code: 'budget_exceeded', dimension: 'toolCalls' });
    expect(execute).toHaveBeenCalledTimes(1);
    expect(model.callCount).toBe(5); // the limitation: nothing stopped the loop itself
  });
});

describe('recursionLimit', () => {
  it('a warden step budget below the recursion limit ends the run cleanly as stopped', async () => {
    const { tool } = searchTool();
    const t = setup({ tools: [tool], budgets: { run: { steps: 5 } } });
    const model = fakeChatModel(endlessSearches());
    const graph = reactGraph(model, toLangChainTools(t.warden));

    // Each agent → tools round is two super-steps, so 5 model calls need ~10 of the default 25.
    const result = await t.warden.run({}, (run) => graph.invoke(ask('go'), wardenRunConfig(run)));

    expectStopped(t, result, { code: 'budget_exceeded', dimension: 'steps', limit: 5 });
  });

  it('a recursion limit reached first is a framework error: warden.run rejects with GraphRecursionError', async () => {
    const { tool } = searchTool();
    const t = setup({ tools: [tool] });
    const model = fakeChatModel(endlessSearches());
    const graph = reactGraph(model, toLangChainTools(t.warden));

    await expect(
      t.warden.run({}, (run) => graph.invoke(ask('go'), { ...wardenRunConfig(run), recursionLimit: 4 })),
    ).rejects.toBeInstanceOf(GraphRecursionError);
    expect(t.events('run_finished')).toEqual([expect.objectContaining({ status: 'error' })]);
  });
});
