// agent-warden + LangGraph: a ReAct graph (agent node + ToolNode) guarded by a warden.
//
//   npx tsx examples/langgraph.ts
//
// No network, no API key: LangChain's own fake chat model (`@langchain/core/testing`) plays the
// model's turns, reporting itself as `openai` / `gpt-4.1-mini` with token usage, exactly as ChatOpenAI
// does, so budgets, cost and spans behave as with the real provider.
//
// With a real model: `npm install @langchain/openai`, then in `createModel()` below return
//   new ChatOpenAI({ model: 'gpt-4.1-mini' }).bindTools(tools)
// (it reads OPENAI_API_KEY). `@langchain/openai` is not a dependency of this repository, so this
// example stays on the fake model even when OPENAI_API_KEY is set.
import { AIMessage, type BaseMessage, HumanMessage } from '@langchain/core/messages';
import type { RunnableConfig } from '@langchain/core/runnables';
import { FakeBuiltModel } from '@langchain/core/testing';
import { type StructuredToolInterface, tool } from '@langchain/core/tools';
import { END, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import { ToolNode, toolsCondition } from '@langchain/langgraph/prebuilt';
import { createWarden, type RunResult } from 'agent-warden';
import { fromLangChainTools, toLangChainTools, wardenRunConfig } from 'agent-warden/langchain';
import { recordSpans } from 'agent-warden/testing';
import { z } from 'zod';

// ---- Tools the team already has, written with LangChain's tool() --------------------------------

const lookupOrder = tool(async ({ orderId }) => ({ orderId, status: 'delivered', total: 180 }), {
  name: 'lookup_order',
  description: 'Find an order by id',
  schema: z.object({ orderId: z.string().regex(/^ord_\d+$/, 'expected an order id such as ord_1001') }),
});

const refundOrder = tool(async ({ orderId, amount }) => ({ refundId: 'rf_7', orderId, amount }), {
  name: 'refund_order',
  description: 'Refund part or all of an order',
  schema: z.object({ orderId: z.string(), amount: z.number().positive() }),
});

// ---- The warden: guard options added per tool name ----------------------------------------------

const spans = recordSpans(); // in-memory spans; in production leave `tracer` out to use your OTel SDK
const warden = createWarden({
  agent: { name: 'support-graph' },
  tools: fromLangChainTools([lookupOrder, refundOrder], {
    lookup_order: { effect: 'read' },
    refund_order: {
      rules: [(a) => a.amount <= 500 || { path: ['amount'], message: 'refunds over $500 are not possible' }],
      approval: (a) => (a.amount > 100 ? 'confirm' : 'none'),
    },
  }),
  budgets: { run: { steps: 6, tokens: 50_000, costUsd: 0.05 } },
  pricing: { 'gpt-4.1-mini': { inputPerMTok: 0.4, outputPerMTok: 1.6 } },
  approvals: { secret: process.env.WARDEN_SECRET ?? 'example-secret-please-use-32-bytes!' },
  telemetry: { tracer: spans.tracer },
});

// ---- The model -------------------------------------------------------------------------------

/** One scripted model turn: a tool call, or a final answer. */
type Turn = { call?: { name: string; args: Record<string, unknown> }; say?: string };

/** What the agent node needs from a chat model (a real one: `new ChatOpenAI(...).bindTools(tools)`). */
interface ChatModel {
  invoke(messages: BaseMessage[], config?: RunnableConfig): Promise<BaseMessage>;
}

/** LangChain's fake chat model, reporting its provider and model name like ChatOpenAI does. */
class ScriptedChatModel extends FakeBuiltModel {
  override getLsParams(options: this['ParsedCallOptions']) {
    return { ...super.getLsParams(options), ls_provider: 'openai', ls_model_name: 'gpt-4.1-mini' };
  }
}

let callIds = 0;

/**
 * The fake model playing `turns`, each answer carrying token usage as the provider reports it.
 * A real model binds the tools here: `return new ChatOpenAI({ model: 'gpt-4.1-mini' }).bindTools(tools)`.
 */
function createModel(_tools: StructuredToolInterface[], turns: Turn[]): ChatModel & { callCount: number } {
  const model = new ScriptedChatModel();
  for (const turn of turns) {
    model.respond(
      new AIMessage({
        content: turn.say ?? '',
        tool_calls: turn.call ? [{ ...turn.call, id: `call_${++callIds}`, type: 'tool_call' }] : [],
        usage_metadata: { input_tokens: 900, output_tokens: 40, total_tokens: 940 },
      }),
    );
  }
  return model;
}

// ---- The graph: the usual LangGraph ReAct loop, with the warden's tools in the ToolNode ----------

function supportGraph(turns: Turn[]) {
  const tools = toLangChainTools(warden); // every call goes through the current run
  const model = createModel(tools, turns);
  const graph = new StateGraph(MessagesAnnotation)
    .addNode('agent', async (state, config) => ({ messages: [await model.invoke(state.messages, config)] }))
    .addNode('tools', new ToolNode(tools))
    .addEdge(START, 'agent')
    .addConditionalEdges('agent', toolsCondition, ['tools', END])
    .addEdge('tools', 'agent')
    .compile();
  return { graph, model };
}

/** One run: the graph invoked inside warden.run with the run's signal and callbacks. */
async function ask(question: string, turns: Turn[], options: { budgets?: { steps?: number } } = {}) {
  const { graph, model } = supportGraph(turns);
  const result = await warden.run({ userId: 'u_42', ...options }, (run) =>
    graph.invoke({ messages: [new HumanMessage(question)] }, wardenRunConfig(run)),
  );
  show(result, model.callCount);
}

// ---- Four runs ------------------------------------------------------------------------------------

if (process.env.OPENAI_API_KEY) {
  console.log(
    '(OPENAI_API_KEY is set, but this example stays on the fake model; see the comment at the top)\n',
  );
}
console.log('agent-warden + LangGraph: a ReAct graph with a ToolNode (fake model, no network)\n');

console.log('1. Guarded tools run; model calls are counted and priced through the callbacks');
await ask('Where is ord_1001?', [
  { call: { name: 'lookup_order', args: { orderId: 'ord_1001' } } },
  { say: 'Order ord_1001 was delivered.' },
]);

console.log('\n2. Bad arguments reach the model as a tool message; it fixes them');
await ask('Refund $20 on order 1001', [
  { call: { name: 'refund_order', args: { orderId: 'ord_1001', amount: -20 } } },
  { call: { name: 'refund_order', args: { orderId: 'ord_1001', amount: 20 } } },
  { say: 'I refunded $20.' },
]);

console.log('\n3. A refund over $100 needs a human: not executed, the model is told, the run lists it');
await ask('Refund all of ord_1001', [
  { call: { name: 'refund_order', args: { orderId: 'ord_1001', amount: 180 } } },
  { say: 'A colleague will approve your $180 refund.' },
]);

// The handler refuses the 4th model call by throwing the RunStop; LangChain prints
// "Error in handler WardenCallbackHandler, handleLLMStart: RunStop: ..." on stderr before rethrowing it.
console.log('\n4. A step budget (3 model calls for this run) halts a graph that keeps calling tools');
await ask(
  'Check all my orders',
  Array.from({ length: 10 }, (_, i) => ({
    call: { name: 'lookup_order', args: { orderId: `ord_100${i}` } },
  })),
  { budgets: { steps: 3 } },
);

console.log('\nSpans, from recordSpans().tree():\n');
console.log(spans.tree());

await warden.close();
await spans.shutdown();

// ---- Printing -----------------------------------------------------------------------------------

function show(result: RunResult<{ messages: BaseMessage[] }>, modelCalls: number): void {
  if (result.status === 'completed') {
    for (const message of result.output.messages) {
      if (message.getType() !== 'tool') continue;
      const { name, status } = message as BaseMessage & { status?: string };
      console.log(`   ${status === 'error' ? '✗' : '✓'} ${name}: ${String(message.content)}`);
    }
    console.log(`   → completed: ${JSON.stringify(result.output.messages.at(-1)?.content)}`);
  } else {
    console.log(`   → stopped: ${result.stop.code} — ${result.stop.message}`);
  }
  for (const p of result.pending) console.log(`   pending approval: ${p.summary}`);
  const u = result.usage;
  console.log(
    `     ${u.steps} model calls counted (the fake model answered ${modelCalls}), ${u.toolCalls} tool calls, ` +
      `${u.inputTokens} in + ${u.outputTokens} out tokens, $${u.costUsd.toFixed(5)}`,
  );
}
