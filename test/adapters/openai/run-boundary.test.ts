import { currentRun, type Run, WardenConfigError, WardenError } from 'agent-warden';
import { chatCompletion, runToolCalls } from 'agent-warden/openai';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOpenAIServer, startFakeOpenAI } from '../../../examples/_fake-openai-server.js';
import { client, MODEL, setup } from './helpers.js';

let server: FakeOpenAIServer;
beforeAll(async () => {
  server = await startFakeOpenAI();
});
afterAll(async () => {
  await server.close();
});

describe('no guarded call without a run', () => {
  it('currentRun() outside warden.run() throws, and nothing reaches the server or a tool', async () => {
    const t = setup();
    server.use({ chat: [{ text: 'unused' }] });
    const calls = [
      {
        id: 'call_x',
        type: 'function' as const,
        function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
      },
    ];
    expect(() => currentRun()).toThrow(WardenError);
    expect(() => currentRun()).toThrow(/No current run/);
    await expect(runToolCalls(undefined as unknown as Run, calls)).rejects.toThrow(WardenConfigError);
    await expect(
      chatCompletion(undefined as unknown as Run, client(server.baseURL), { model: MODEL, messages: [] }),
    ).rejects.toThrow(/chatCompletion\(run\)/);
    expect(t.execute.weather).not.toHaveBeenCalled();
    expect(server.requests).toHaveLength(0);

    // Inside a run, deeper code finds the run with currentRun().
    const result = await t.warden.run({}, async () => runToolCalls(currentRun(), calls));
    expect(result.status).toBe('completed');
    expect(t.execute.weather).toHaveBeenCalledTimes(1);
    await t.warden.close();
  });

  it('a run handle kept after warden.run() returned cannot run tools any more', async () => {
    const t = setup();
    let leaked: Run | undefined;
    const result = await t.warden.run({}, (run) => {
      leaked = run;
    });
    expect(result.status).toBe('completed');
    const calls = [
      {
        id: 'call_y',
        type: 'function' as const,
        function: { name: 'get_weather', arguments: '{"city":"Paris"}' },
      },
    ];
    await expect(runToolCalls(leaked!, calls)).rejects.toMatchObject({ code: 'aborted' });
    await expect(
      chatCompletion(leaked!, client(server.baseURL), { model: MODEL, messages: [] }),
    ).rejects.toThrow(/already finished/);
    expect(t.execute.weather).not.toHaveBeenCalled();
    expect(server.requests).toHaveLength(0);
    await t.warden.close();
  });

  it('rejects tool calls that are not an array, and unknown call types', async () => {
    const t = setup();
    const result = t.warden.run({}, (run) =>
      runToolCalls(run, { id: 'x' } as unknown as Parameters<typeof runToolCalls>[1]),
    );
    await expect(result).rejects.toThrow(/runToolCalls\(message\.tool_calls\): expected an array/);
    const unknownType = t.warden.run({}, (run) =>
      runToolCalls(run, [{ id: 'x', type: 'telepathy' }] as unknown as Parameters<typeof runToolCalls>[1]),
    );
    await expect(unknownType).rejects.toThrow(/unsupported tool call type "telepathy"/);
    await t.warden.close();
  });

  it('chatCompletion refuses a streaming request it could not budget', async () => {
    const t = setup();
    const result = t.warden.run({}, (run) =>
      chatCompletion(run, client(server.baseURL), {
        model: MODEL,
        messages: [],
        stream: true,
      } as unknown as Parameters<typeof chatCompletion>[2]),
    );
    await expect(result).rejects.toThrow(/stream/);
    await t.warden.close();
  });
});
