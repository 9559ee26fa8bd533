// A scripted AI SDK model, so the AI SDK example runs with no network and no API key. It is the
// AI SDK's own `MockLanguageModelV4` (from 'ai/test', the fake the adapter's tests use), answering
// each call with the next scripted turn, for `generateText` (doGenerate) and `streamText` (doStream)
// alike, with provider-level usage sized from the prompt, so the warden reads real-looking usage.
import { convertArrayToReadableStream, MockLanguageModelV4 } from 'ai/test';

export type Turn = { say: string } | { call: Array<{ name: string; args: unknown }> };

type GenerateResult = Awaited<ReturnType<MockLanguageModelV4['doGenerate']>>;
type StreamPart =
  Awaited<ReturnType<MockLanguageModelV4['doStream']>>['stream'] extends ReadableStream<infer P> ? P : never;

export function scriptedAiSdkModel(modelId: string, turns: Turn[]): MockLanguageModelV4 {
  let n = 0;
  const next = (prompt: unknown) => {
    const turn = turns[n++];
    if (!turn) throw new Error(`the script has only ${turns.length} turns`);
    const input = 120 + Math.round(JSON.stringify(prompt).length / 4); // ~4 characters per token
    const output = 8 + Math.round(JSON.stringify(turn).length / 4);
    return {
      turn,
      usage: {
        inputTokens: { total: input, noCache: input, cacheRead: undefined, cacheWrite: undefined },
        outputTokens: { total: output, text: output, reasoning: undefined },
      },
      finishReason: { unified: 'say' in turn ? ('stop' as const) : ('tool-calls' as const), raw: undefined },
      calls: 'call' in turn ? turn.call.map((c, i) => toolCall(`call_${n}_${i}`, c.name, c.args)) : [],
    };
  };
  return new MockLanguageModelV4({
    provider: 'openai.chat',
    modelId,
    async doGenerate({ prompt }): Promise<GenerateResult> {
      const { turn, usage, finishReason, calls } = next(prompt);
      return {
        content: 'say' in turn ? [{ type: 'text', text: turn.say }] : calls,
        finishReason,
        usage,
        response: { id: `resp_${n}`, modelId: `${modelId}-2025-04-14` },
        warnings: [],
      };
    },
    async doStream({ prompt }) {
      const { turn, usage, finishReason, calls } = next(prompt);
      const parts: StreamPart[] = [
        { type: 'stream-start', warnings: [] },
        { type: 'response-metadata', id: `resp_${n}`, modelId: `${modelId}-2025-04-14` },
      ];
      if ('say' in turn) {
        parts.push({ type: 'text-start', id: 't' });
        for (const word of turn.say.split(/(?<= )/)) parts.push({ type: 'text-delta', id: 't', delta: word });
        parts.push({ type: 'text-end', id: 't' });
      }
      parts.push(...calls, { type: 'finish', usage, finishReason });
      return { stream: convertArrayToReadableStream(parts) };
    },
  });
}

function toolCall(toolCallId: string, toolName: string, args: unknown) {
  return { type: 'tool-call' as const, toolCallId, toolName, input: JSON.stringify(args) };
}
