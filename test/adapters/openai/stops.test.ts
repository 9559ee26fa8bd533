import { chatCompletion, runToolCalls, toChatCompletionsTools } from 'agent-warden/openai';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type FakeOpenAIServer, startFakeOpenAI } from '../../../examples/_fake-openai-server.js';
import { chatLoop, client, MODEL, setup } from './helpers.js';

let server: FakeOpenAIServer;
beforeAll(async () => {
  server = await startFakeOpenAI();
});
afterAll(async () => {
  await server.close();
});

describe('stops end the loop: the model is not called again', () => {
  const callsForever = (request: { index: number }) => ({
    toolCalls: [{ name: 'get_weather', args: { city: `City ${request.index}` } }],
  });

  it('step budget: a model that never stops calling tools ends at the limit', async () => {
    const t = setup({ budgets: { run: { steps: 3 } } });
    server.use({ chat: callsForever });
    const result = await t.warden.run({ userId: 'u1' }, (run) =>
      chatLoop(run, client(server.baseURL), toChatCompletionsTools(t.warden)),
    );
    expect(result).toMatchObject({
      status: 'stopped',
      stop: { code: 'budget_exceeded', dimension: 'steps', scope: 'run', limit: 3, used: 3 },
    });
    expect(server.requests).toHaveLength(3);
    expect(t.execute.weather).toHaveBeenCalledTimes(3);
    expect(t.tracing.one('invoke_agent openai-test').attributes['warden.stop.code']).toBe('budget_exceeded');
    await t.warden.close();
  });

  it('token budget: usage read from the completions stops the next model call', async () => {
    const t = setup();
    server.use({
      chat: (request) => ({ ...callsForever(request), usage: { inputTokens: 600, outputTokens: 100 } }),
    });
    const result = await t.warden.run({ budgets: { tokens: 1_000 } }, (run) =>
      chatLoop(run, client(server.baseURL), toChatCompletionsTools(t.warden)),
    );
    expect(result).toMatchObject({
      status: 'stopped',
      stop: { code: 'budget_exceeded', dimension: 'tokens', limit: 1_000, used: 1_400 },
    });
    expect(server.requests).toHaveLength(2);
    await t.warden.close();
  });

  it('tool-call budget: a call over the limit stops the run before the next model call', async () => {
    const t = setup();
    server.use({
      chat: [
        {
          toolCalls: [
            { name: 'get_weather', args: { city: 'Paris' } },
            { name: 'get_weather', args: { city: 'Rome' } },
            { name: 'get_weather', args: { city: 'Oslo' } },
          ],
        },
        { text: 'never sent' },
      ],
    });
    const result = await t.warden.run({ budgets: { toolCalls: 2 } }, (run) =>
      chatLoop(run, client(server.baseURL), toChatCompletionsTools(t.warden)),
    );
    expect(result).toMatchObject({
      status: 'stopped',
      stop: { code: 'budget_exceeded', dimension: 'toolCalls', limit: 2 },
    });
    expect(t.execute.weather.mock.calls.length).toBeLessThanOrEqual(2);
    expect(server.requests).toHaveLength(1);
    await t.warden.close();
  });

  it('a stop the loop swallows still ends the run as stopped, and no further request is sent', async () => {
    const t = setup();
    server.use({
      chat: (request) => ({
        toolCalls: [
          { name: 'get_weather', args: { city: `A${request.index}` } },
          { name: 'get_weather', args: { city: `B${request.index}` } },
        ],
      }),
    });
    const result = await t.warden.run({ budgets: { toolCalls: 1 } }, async (run) => {
      const openai = client(server.baseURL);
      const messages: Parameters<typeof chatCompletion>[2]['messages'] = [{ role: 'user', content: 'hi' }];
      try {
        for (;;) {
          const completion = await chatCompletion(run, openai, {
            model: MODEL,
            messages,
            tools: toChatCompletionsTools(t.warden),
          });
          const message = completion.choices[0]!.message;
          messages.push(message);
          try {
            messages.push(...(await runToolCalls(run, message.tool_calls)));
          } catch {
            // A careless loop that swallows tool errors and carries on.
          }
        }
      } catch {
        return 'gave up quietly';
      }
    });
    expect(result).toMatchObject({
      status: 'stopped',
      stop: { code: 'budget_exceeded', dimension: 'toolCalls' },
    });
    expect(server.requests).toHaveLength(1);
    await t.warden.close();
  });

  it('a kill aborts the in-flight HTTP request through the run signal', async () => {
    const t = setup();
    server.use({ chat: [{ hang: true }] });
    let runId = '';
    const pending = t.warden.run({ userId: 'u1' }, (run) => {
      runId = run.id;
      return chatLoop(run, client(server.baseURL), toChatCompletionsTools(t.warden));
    });
    await vi.waitFor(() => expect(server.requests).toHaveLength(1));
    await t.warden.kill({ runId }, { reason: 'operator' });
    const result = await pending;
    expect(result).toMatchObject({ status: 'stopped', stop: { code: 'killed' } });
    await vi.waitFor(() => expect(server.requests[0]!.aborted).toBe(true));
    await t.warden.close();
  });
});
