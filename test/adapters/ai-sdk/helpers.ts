import { defineTool } from 'agent-warden';
import { convertArrayToReadableStream, MockLanguageModelV4 } from 'ai/test';
import { vi } from 'vitest';
import { z } from 'zod';

type GenerateResult = Awaited<ReturnType<MockLanguageModelV4['doGenerate']>>;
type StreamResult = Awaited<ReturnType<MockLanguageModelV4['doStream']>>;
type StreamPart = StreamResult['stream'] extends ReadableStream<infer P> ? P : never;
type CallOptions = MockLanguageModelV4['doGenerateCalls'][number];

/** Provider-level (LanguageModelV4) usage, as a real provider reports it. */
export function usage(input: number, output: number, cacheRead?: number) {
  return {
    inputTokens: { total: input, noCache: input - (cacheRead ?? 0), cacheRead, cacheWrite: undefined },
    outputTokens: { total: output, text: output, reasoning: undefined },
  };
}

export interface Turn {
  text?: string;
  toolCalls?: Array<{ id?: string; name: string; input: unknown }>;
  usage?: [number, number];
}

let nextCallId = 0;

function toolCallParts(turn: Turn) {
  return (turn.toolCalls ?? []).map((call) => ({
    type: 'tool-call' as const,
    toolCallId: call.id ?? `call_${++nextCallId}`,
    toolName: call.name,
    input: typeof call.input === 'string' ? call.input : JSON.stringify(call.input),
  }));
}

function finishReason(turn: Turn) {
  return { unified: turn.toolCalls?.length ? ('tool-calls' as const) : ('stop' as const), raw: undefined };
}

/** A `doGenerate` result for one scripted turn. */
export function generateResult(turn: Turn): GenerateResult {
  const [input, output] = turn.usage ?? [10, 5];
  return {
    content: [...(turn.text ? [{ type: 'text' as const, text: turn.text }] : []), ...toolCallParts(turn)],
    finishReason: finishReason(turn),
    usage: usage(input, output),
    response: { id: 'resp_1', modelId: 'mock-model-2026' },
    warnings: [],
  };
}

/** The stream parts of one scripted turn; `finish: false` leaves the `finish` part (and usage) out. */
export function streamParts(turn: Turn, { finish = true } = {}): StreamPart[] {
  const [input, output] = turn.usage ?? [10, 5];
  const parts: StreamPart[] = [
    { type: 'stream-start', warnings: [] },
    { type: 'response-metadata', id: 'resp_s', modelId: 'mock-model-2026' },
  ];
  if (turn.text) {
    parts.push(
      { type: 'text-start', id: 't1' },
      { type: 'text-delta', id: 't1', delta: turn.text },
      { type: 'text-end', id: 't1' },
    );
  }
  parts.push(...toolCallParts(turn));
  if (finish) parts.push({ type: 'finish', usage: usage(input, output), finishReason: finishReason(turn) });
  return parts;
}

/**
 * The AI SDK's own mock model, answering with the scripted turns in order (generate and stream
 * alike); a call past the end of the script fails the test loudly.
 */
export function scriptedModel(turns: Turn[], options: { finish?: boolean } = {}) {
  let index = 0;
  const next = (): Turn => {
    const turn = turns[index++];
    if (!turn) throw new Error(`unexpected model call #${index}: the script has ${turns.length} turns`);
    return turn;
  };
  return new MockLanguageModelV4({
    doGenerate: async () => generateResult(next()),
    doStream: async () => ({ stream: convertArrayToReadableStream(streamParts(next(), options)) }),
  });
}

/** A model that calls `name` with `input` on every turn, forever. */
export function loopingModel(name: string, input: unknown, tokens: [number, number] = [10, 5]) {
  return new MockLanguageModelV4({
    doGenerate: async () => generateResult({ toolCalls: [{ name, input }], usage: tokens }),
    doStream: async () => ({
      stream: convertArrayToReadableStream(streamParts({ toolCalls: [{ name, input }], usage: tokens })),
    }),
  });
}

/** The tool results the AI SDK sent the model in a call's prompt, in order. */
export function toolResultsIn(call: CallOptions | undefined): Array<{ toolName: string; output: unknown }> {
  const results: Array<{ toolName: string; output: unknown }> = [];
  for (const message of call?.prompt ?? []) {
    if (message.role !== 'tool') continue;
    for (const part of message.content) {
      if (part.type === 'tool-result') results.push({ toolName: part.toolName, output: part.output });
    }
  }
  return results;
}

/** A tool's result text as the model received it (the warden's `forModel()` text for a refusal). */
export function textOf(output: unknown): string {
  const o = output as { type: string; value: unknown };
  return typeof o.value === 'string' ? o.value : JSON.stringify(o.value);
}

/** Two warden tools with spied executes. */
export function orderTools() {
  const lookupExecute = vi.fn(async ({ orderId }: { orderId: string }) => ({ orderId, status: 'delivered' }));
  const refundExecute = vi.fn(async ({ orderId, amount }: { orderId: string; amount: number }) => ({
    refundId: 'rf_1',
    orderId,
    amount,
  }));
  const lookupOrder = defineTool({
    name: 'lookup_order',
    description: 'Find an order by id',
    input: z.object({ orderId: z.string().regex(/^ord_\d+$/) }),
    effect: 'read',
    execute: lookupExecute,
  });
  const refundOrder = defineTool({
    name: 'refund_order',
    description: 'Refund an order',
    input: z.object({ orderId: z.string(), amount: z.number().positive() }),
    approval: (a) => (a.amount > 100 ? 'confirm' : 'none'),
    execute: refundExecute,
  });
  return { lookupOrder, refundOrder, lookupExecute, refundExecute };
}

export const SECRET = 'x'.repeat(32);
