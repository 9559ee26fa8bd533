import { createWarden, defineTool, memoryAudit, type Run, type WardenOptions } from 'agent-warden';
import { chatCompletion, createResponse, runFunctionCalls, runToolCalls } from 'agent-warden/openai';
import OpenAI from 'openai';
import { vi } from 'vitest';
import { z } from 'zod';
import { inMemoryTracing } from '../../support/otel.js';

export const MODEL = 'gpt-4.1';
export const PRICING = { [MODEL]: { inputPerMTok: 2, outputPerMTok: 8 } };

/** The real OpenAI client, pointed at the fake server. */
export function client(baseURL: string): OpenAI {
  return new OpenAI({ apiKey: 'test', baseURL, maxRetries: 0 });
}

/** Three tools with spied `execute`s: a read tool, an approval-gated write tool, a plain write tool. */
export function tools() {
  const weather = vi.fn(async (a: { city: string }) => ({ city: a.city, tempC: 18 }));
  const email = vi.fn(async () => ({ sent: true }));
  const refund = vi.fn(async (a: { orderId: string }) => ({ refundId: `rf_${a.orderId}` }));
  const getWeather = defineTool({
    name: 'get_weather',
    description: 'Current weather in a city',
    input: z.object({ city: z.string().min(1, 'name a city') }),
    effect: 'read',
    execute: weather,
  });
  const sendEmail = defineTool({
    name: 'send_email',
    description: 'Send an email',
    input: z.object({ to: z.email(), body: z.string() }),
    approval: 'confirm',
    execute: email,
  });
  const refundOrder = defineTool({
    name: 'refund_order',
    description: 'Refund an order',
    input: z.object({ orderId: z.string() }),
    execute: refund,
  });
  return { list: [getWeather, sendEmail, refundOrder] as const, execute: { weather, email, refund } };
}

/** A warden with the three tools, a real OTel SDK tracer and an in-memory audit. */
export function setup(options: Omit<WardenOptions, 'tools' | 'telemetry' | 'audit'> = {}) {
  const t = tools();
  const tracing = inMemoryTracing();
  const audit = memoryAudit();
  const warden = createWarden({
    agent: { name: 'openai-test' },
    tools: t.list,
    pricing: PRICING,
    approvals: { secret: 'x'.repeat(32) },
    audit,
    telemetry: { tracer: tracing.tracer },
    ...options,
  });
  return { warden, tracing, audit, execute: t.execute };
}

/** The reference Chat Completions loop on the adapter: model call, tool calls, repeat. */
export async function chatLoop(
  run: Run,
  openai: OpenAI,
  tools: OpenAI.Chat.Completions.ChatCompletionTool[],
): Promise<string | null> {
  const messages: OpenAI.Chat.Completions.ChatCompletionMessageParam[] = [
    { role: 'user', content: 'What is the weather in Paris?' },
  ];
  for (;;) {
    const completion = await chatCompletion(run, openai, { model: MODEL, messages, tools });
    const message = completion.choices[0]!.message;
    messages.push(message);
    if (!message.tool_calls?.length) return message.content;
    messages.push(...(await runToolCalls(run, message.tool_calls)));
  }
}

/** The reference Responses API loop on the adapter. */
export async function responsesLoop(
  run: Run,
  openai: OpenAI,
  tools: OpenAI.Responses.Tool[],
): Promise<string> {
  const input: OpenAI.Responses.ResponseInputItem[] = [
    { role: 'user', content: 'What is the weather in Paris?' },
  ];
  for (;;) {
    const response = await createResponse(run, openai, { model: MODEL, input, tools });
    const outputs = await runFunctionCalls(run, response.output);
    if (outputs.length === 0) return response.output_text;
    input.push(...(response.output as OpenAI.Responses.ResponseInputItem[]), ...outputs);
  }
}

/** The `error.code` of a tool result the model was sent (`forModel()` of a failed outcome). */
export function errorCode(content: unknown): string | undefined {
  return (JSON.parse(String(content)) as { error?: { code?: string } }).error?.code;
}
