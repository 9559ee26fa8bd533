import { createWarden, defineTool, type ToolContext, type ToolOutcome } from 'agent-warden';
import {
  asOpenAIChatCompletion,
  asOpenAIResponse,
  type MockCall,
  mockTools,
  replayRun,
  runScriptedAgent,
  scriptedModel,
  type ToolMock,
  transientError,
} from 'agent-warden/testing';
import type { ChatCompletion } from 'openai/resources/chat/completions';
import type { Response } from 'openai/resources/responses/responses';
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';

const sendEmail = defineTool({
  name: 'send_email',
  description: 'Email a customer',
  input: z.object({ to: z.string(), subject: z.string(), cc: z.array(z.string()).optional() }),
  execute: async () => ({ id: 'm1' }),
});
const searchDocs = defineTool({
  name: 'search_docs',
  description: 'Search',
  input: z.object({ q: z.string(), limit: z.number().default(5) }),
  effect: 'read',
  execute: async () => ({ hits: [] as string[] }),
});
const warden = createWarden({ tools: [sendEmail, searchDocs] });

type EmailArgs = { to: string; subject: string; cc?: string[] | undefined };

describe('mockTools<typeof warden>', () => {
  it('types calls[].args by tool name, from the tool input schema (its output, after defaults)', () => {
    const mocks = mockTools<typeof warden>({
      send_email: { returns: { id: 'm1' } },
      search_docs: [{ throws: transientError(503) }, { returns: { hits: ['a'] } }],
    });
    expectTypeOf(mocks.send_email).toEqualTypeOf<ToolMock<EmailArgs, 'send_email'>>();
    expectTypeOf(mocks.send_email.calls[0]!.args).toEqualTypeOf<EmailArgs>();
    expectTypeOf(mocks.send_email.calls[0]!.ctx).toEqualTypeOf<ToolContext>();
    expectTypeOf(mocks.search_docs.calls[0]!.args.limit).toEqualTypeOf<number>();
    expectTypeOf(mocks.search_docs.calls).toEqualTypeOf<
      ReadonlyArray<MockCall<{ q: string; limit: number }>>
    >();
    expectTypeOf(mocks.send_email.name).toEqualTypeOf<'send_email'>();
  });

  it('restricts the keys to the warden tool names', () => {
    // @ts-expect-error — not a tool of this warden
    mockTools<typeof warden>({ delete_account: { returns: true } });
    mockTools<typeof warden>({ send_email: { returns: { id: 'x' } } });
  });

  it('checks returns against the tool result type and types function mocks', () => {
    // @ts-expect-error — send_email resolves with { id: string }
    mockTools<typeof warden>({ send_email: { returns: { messageId: 1 } } });
    mockTools<typeof warden>({
      send_email: (args, ctx) => {
        expectTypeOf(args).toEqualTypeOf<EmailArgs>();
        expectTypeOf(ctx).toEqualTypeOf<ToolContext>();
        return { id: args.to };
      },
    });
  });

  it('mocks are accepted by withTools, which keeps the warden type', () => {
    const mocks = mockTools<typeof warden>({ send_email: { returns: { id: 'm1' } } });
    const test = warden.withTools(mocks);
    expectTypeOf(test).toEqualTypeOf<typeof warden>();
    warden.withTools(mocks, { passthrough: true });
  });
});

describe('mockTools without a type argument', () => {
  it('is loosely typed: keys are the spec keys, args are any', () => {
    const mocks = mockTools({ send_email: { returns: { id: 'm1' } }, anything: (args) => args.whatever });
    expectTypeOf(mocks.send_email.calls[0]!.args).toBeAny();
    expectTypeOf(mocks.anything.name).toEqualTypeOf<'anything'>();
    // @ts-expect-error — not mocked
    void mocks.search_docs;
    warden.withTools(mockTools({ send_email: { returns: { id: 'm1' } } }));
  });
});

describe('scripted model and loop', () => {
  it('asOpenAIChatCompletion and asOpenAIResponse are assignable to the OpenAI SDK types', () => {
    const turn = { toolCalls: [{ name: 'search_docs', args: { q: 'x' } }], text: 'hi' };
    const completion: ChatCompletion = asOpenAIChatCompletion(turn);
    const response: Response = asOpenAIResponse(turn);
    void completion;
    void response;
  });

  it('runScriptedAgent resolves with a RunResult of the final text; replayRun tools fit withTools', async () => {
    const model = scriptedModel([{ text: 'done' }]);
    const result = await runScriptedAgent(
      warden,
      model,
      { userId: 'u1' },
      {
        onToolOutcome: (call, outcome) => {
          expectTypeOf(call.name).toBeString();
          expectTypeOf(outcome).toEqualTypeOf<ToolOutcome>();
        },
      },
    );
    if (result.status === 'completed') expectTypeOf(result.output).toEqualTypeOf<string | undefined>();
    const replay = replayRun({ format: 'agent-warden.recording', version: 1, runs: [] });
    warden.withTools(replay.tools);
  });
});
