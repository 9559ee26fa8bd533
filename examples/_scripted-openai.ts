// A scripted stand-in for `new OpenAI()`, so the examples run with no network and no API key.
// `client.chat.completions.create()` replays one turn per call as an OpenAI Chat Completions
// response, with a `usage` block sized from the request, so the warden reads real-looking usage.

export type Turn = { say: string } | { call: Array<{ name: string; args: unknown }> };
export type ToolCall = { id: string; type: 'function'; function: { name: string; arguments: string } };
export type Message =
  | { role: 'system' | 'user'; content: string }
  | { role: 'assistant'; content: string | null; tool_calls?: ToolCall[] }
  | { role: 'tool'; tool_call_id: string; content: string };

export function scriptedOpenAI(turns: Turn[]) {
  let n = 0;
  async function create(
    body: { model: string; messages: Message[]; tools?: unknown[] },
    _?: { signal?: AbortSignal },
  ) {
    const turn = turns[n++];
    if (!turn) throw new Error(`the script has only ${turns.length} turns`);
    const tool_calls =
      'call' in turn ? turn.call.map((c, i) => toolCall(`call_${n}_${i}`, c.name, c.args)) : undefined;
    const message = {
      role: 'assistant' as const,
      content: 'say' in turn ? turn.say : null,
      ...(tool_calls && { tool_calls }),
    };
    const prompt_tokens = 120 + Math.round(JSON.stringify(body).length / 4); // ~4 characters per token
    const completion_tokens = 8 + Math.round(JSON.stringify(message).length / 4);
    return {
      id: `chatcmpl-${n}`,
      object: 'chat.completion' as const,
      model: `${body.model}-2025-04-14`,
      choices: [{ index: 0, message, finish_reason: tool_calls ? 'tool_calls' : 'stop' }],
      usage: { prompt_tokens, completion_tokens, total_tokens: prompt_tokens + completion_tokens },
    };
  }
  return { chat: { completions: { create } } };
}

function toolCall(id: string, name: string, args: unknown): ToolCall {
  return { id, type: 'function', function: { name, arguments: JSON.stringify(args) } };
}
