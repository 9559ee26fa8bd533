import { createWarden, defineTool } from 'agent-warden';
import { createResponse, runFunctionCalls, toResponsesTools } from 'agent-warden/openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { z } from 'zod';
import { type FakeOpenAIServer, startFakeOpenAI } from '../../../examples/_fake-openai-server.js';
import { client, errorCode, MODEL, responsesLoop, setup } from './helpers.js';

let server: FakeOpenAIServer;
beforeAll(async () => {
  server = await startFakeOpenAI();
});
afterAll(async () => {
  await server.close();
});

/** The `function_call_output` / `custom_tool_call_output` items of the n-th request the server received. */
function outputsOf(n: number): Array<{ type: string; call_id: string; output: string }> {
  return server.requests[n]!.body.input.filter((item: { type?: string }) => item.type?.endsWith('_output'));
}

describe('Responses API loop on the real openai client', () => {
  it('runs allowed calls, refuses denied and invalid ones, and answers every call_id in order', async () => {
    const t = setup();
    server.use({
      responses: [
        {
          toolCalls: [
            { name: 'get_weather', args: { city: 'Paris' }, id: 'fc_a' },
            { name: 'delete_account', args: {}, id: 'fc_b' },
            { name: 'get_weather', args: { town: 'Rome' }, id: 'fc_c' },
            { name: 'refund_order', args: { orderId: 'o1' }, id: 'fc_d' },
          ],
          usage: { inputTokens: 500, outputTokens: 40 },
        },
        { text: 'It is 18°C in Paris.', usage: { inputTokens: 700, outputTokens: 12 } },
      ],
    });
    const tools = toResponsesTools(t.warden, { tools: ['get_weather'] });
    const result = await t.warden.run({ userId: 'u1', tools: ['get_weather'] }, (run) =>
      responsesLoop(run, client(server.baseURL), tools),
    );

    expect(result).toMatchObject({ status: 'completed', output: 'It is 18°C in Paris.' });
    expect(result.usage).toMatchObject({ steps: 2, inputTokens: 1_200, outputTokens: 52 });
    expect(t.execute.weather).toHaveBeenCalledTimes(1);
    expect(t.execute.refund).not.toHaveBeenCalled();
    expect(server.requests[0]!.body.tools).toEqual(tools);
    const outputs = outputsOf(1);
    expect(outputs.map((o) => [o.type, o.call_id])).toEqual([
      ['function_call_output', 'fc_a'],
      ['function_call_output', 'fc_b'],
      ['function_call_output', 'fc_c'],
      ['function_call_output', 'fc_d'],
    ]);
    expect(outputs[0]!.output).toBe('{"city":"Paris","tempC":18}');
    expect(outputs.slice(1).map((o) => errorCode(o.output))).toEqual([
      'tool_not_allowed',
      'invalid_arguments',
      'tool_not_allowed',
    ]);
    // The function calls the model made are sent back before their outputs, as the API requires.
    const input = server.requests[1]!.body.input as Array<{ type?: string }>;
    expect(input.findIndex((i) => i.type === 'function_call')).toBeLessThan(
      input.findIndex((i) => i.type === 'function_call_output'),
    );

    const runSpanId = t.tracing.one('invoke_agent openai-test').spanContext().spanId;
    const toolSpans = t.tracing.byName('execute_tool get_weather');
    expect(toolSpans.map((s) => s.attributes['gen_ai.tool.call.id']).sort()).toEqual(['fc_a', 'fc_c']);
    for (const span of [...toolSpans, ...t.tracing.byName(`chat ${MODEL}`)]) {
      expect(t.tracing.parentOf(span)).toBe(runSpanId);
    }
    expect(t.tracing.byName(`chat ${MODEL}`)[0]!.attributes).toMatchObject({
      'gen_ai.response.id': 'resp_1',
      'gen_ai.usage.input_tokens': 500,
    });
    await t.warden.close();
  });

  it('step budget: a model that never stops calling tools ends at the limit; no request after the stop', async () => {
    const t = setup({ budgets: { run: { steps: 3 } } });
    server.use({
      responses: (request) => ({
        toolCalls: [{ name: 'get_weather', args: { city: `City ${request.index}` } }],
      }),
    });
    const result = await t.warden.run({}, (run) =>
      responsesLoop(run, client(server.baseURL), toResponsesTools(t.warden)),
    );
    expect(result).toMatchObject({
      status: 'stopped',
      stop: { code: 'budget_exceeded', dimension: 'steps', limit: 3, used: 3 },
    });
    expect(server.requests).toHaveLength(3);
    expect(t.execute.weather).toHaveBeenCalledTimes(3);
    await t.warden.close();
  });

  it('an approval-gated call is not executed and is reported as pending', async () => {
    const t = setup();
    server.use({
      responses: [
        { toolCalls: [{ name: 'send_email', args: { to: 'a@example.com', body: 'hi' } }] },
        { text: 'Waiting for your approval.' },
      ],
    });
    const result = await t.warden.run({ userId: 'u1' }, (run) =>
      responsesLoop(run, client(server.baseURL), toResponsesTools(t.warden)),
    );
    expect(result.status).toBe('completed');
    expect(t.execute.email).not.toHaveBeenCalled();
    expect(errorCode(outputsOf(1)[0]!.output)).toBe('approval_required');
    expect(result.pending).toHaveLength(1);
    await t.warden.close();
  });

  it('a custom (free-form) tool call runs as the warden tool of that name with { input }', async () => {
    const execute = vi.fn(async ({ input }: { input: string }) => `ran: ${input}`);
    const sql = defineTool({
      name: 'run_sql',
      description: 'Run a read-only SQL query',
      input: z.object({ input: z.string().startsWith('SELECT', 'only SELECT queries') }),
      effect: 'read',
      execute,
    });
    const warden = createWarden({ tools: [sql] });
    server.use({
      responses: [
        {
          toolCalls: [
            { name: 'run_sql', args: 'SELECT 1', custom: true, id: 'ct_1' },
            { name: 'run_sql', args: 'DROP TABLE users', custom: true, id: 'ct_2' },
          ],
        },
        { text: 'done' },
      ],
    });
    const result = await warden.run({}, (run) => responsesLoop(run, client(server.baseURL), []));
    expect(result.status).toBe('completed');
    expect(execute).toHaveBeenCalledTimes(1);
    expect(outputsOf(1)).toEqual([
      { type: 'custom_tool_call_output', call_id: 'ct_1', output: 'ran: SELECT 1' },
      {
        type: 'custom_tool_call_output',
        call_id: 'ct_2',
        output: expect.stringContaining('only SELECT queries'),
      },
    ]);
    await warden.close();
  });

  it('skips output items that are not calls, and returns nothing for a plain answer', async () => {
    const t = setup();
    const result = await t.warden.run({}, (run) =>
      runFunctionCalls(run, [
        {
          type: 'message',
          id: 'msg_1',
          role: 'assistant',
          status: 'completed',
          content: [{ type: 'output_text', text: 'hi', annotations: [] }],
        },
        { type: 'reasoning', id: 'rs_1', summary: [] },
      ]),
    );
    expect(result).toMatchObject({ status: 'completed', output: [] });
    expect(result.usage.toolCalls).toBe(0);
    await t.warden.close();
  });

  it('createResponse needs a model name to price and budget the call', async () => {
    const t = setup();
    const pending = t.warden.run({}, (run) => createResponse(run, client(server.baseURL), { input: 'hi' }));
    await expect(pending).rejects.toThrow(/createResponse\(params\)\.model/);
    await t.warden.close();
  });
});
