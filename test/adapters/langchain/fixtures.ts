import { AIMessage, type BaseMessage, HumanMessage } from '@langchain/core/messages';
import { fakeModel } from '@langchain/core/testing';
import type { StructuredToolInterface } from '@langchain/core/tools';
import { END, MessagesAnnotation, START, StateGraph } from '@langchain/langgraph';
import { ToolNode, toolsCondition } from '@langchain/langgraph/prebuilt';

/** A planned model turn: tool calls (or a final answer) and the usage the provider reports. */
export interface Turn {
  toolCalls?: Array<{ name: string; args: Record<string, unknown>; id?: string }>;
  text?: string;
  usage?: { input: number; output: number };
}

let nextId = 0;

/** An AIMessage like a provider returns it: tool calls and `usage_metadata`. */
export function aiMessage(turn: Turn): AIMessage {
  const usage = turn.usage ?? { input: 100, output: 10 };
  return new AIMessage({
    content: turn.text ?? '',
    tool_calls: (turn.toolCalls ?? []).map((call) => ({
      name: call.name,
      args: call.args,
      id: call.id ?? `call_${++nextId}`,
      type: 'tool_call' as const,
    })),
    usage_metadata: {
      input_tokens: usage.input,
      output_tokens: usage.output,
      total_tokens: usage.input + usage.output,
    },
  });
}

/** LangChain's own fake chat model (`@langchain/core/testing`), answering the turns in order. */
export function fakeChatModel(turns: readonly Turn[]) {
  const model = fakeModel();
  for (const turn of turns) model.respond(aiMessage(turn));
  return model;
}

/**
 * The classic LangGraph ReAct graph: an `agent` node calling the model bound to the tools, a
 * `ToolNode` (default `handleToolErrors: true`), and `toolsCondition` between them.
 */
export function reactGraph(model: ReturnType<typeof fakeModel>, tools: StructuredToolInterface[]) {
  const bound = model.bindTools(tools);
  return new StateGraph(MessagesAnnotation)
    .addNode('agent', async (state, config) => ({ messages: [await bound.invoke(state.messages, config)] }))
    .addNode('tools', new ToolNode(tools))
    .addEdge(START, 'agent')
    .addConditionalEdges('agent', toolsCondition, ['tools', END])
    .addEdge('tools', 'agent')
    .compile();
}

export const ask = (text: string) => ({ messages: [new HumanMessage(text)] });

/** The tool messages of a conversation, as `{ name, status, content }`. */
export function toolMessages(messages: readonly BaseMessage[]) {
  return messages
    .filter((m) => m.getType() === 'tool')
    .map((m) => {
      const t = m as BaseMessage & { status?: string; name?: string };
      return { name: t.name, status: t.status, content: t.content };
    });
}
