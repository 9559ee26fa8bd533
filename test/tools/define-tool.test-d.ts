import { defineTool, type RuleContext, type Tool, type ToolArgs, type ToolContext } from 'agent-warden';
import { describe, expectTypeOf, it } from 'vitest';
import { z } from 'zod';

type TransferArgs = {
  from: string;
  to: string;
  amount: number;
  memo?: string | undefined;
  currency: 'EUR' | 'USD';
};

const input = z.object({
  from: z.string(),
  to: z.string(),
  amount: z.number(),
  memo: z.string().optional(),
  currency: z.enum(['EUR', 'USD']),
});

describe('defineTool inference', () => {
  it('infers execute args and ctx from input', () => {
    defineTool({
      name: 'transfer_funds',
      description: 'Move money',
      input,
      execute: (args, ctx) => {
        expectTypeOf(args).toEqualTypeOf<TransferArgs>();
        expectTypeOf(args.amount).toBeNumber();
        expectTypeOf(args.memo).toEqualTypeOf<string | undefined>();
        expectTypeOf(args.currency).toEqualTypeOf<'EUR' | 'USD'>();
        expectTypeOf(ctx).toEqualTypeOf<ToolContext>();
        expectTypeOf(ctx.signal).toEqualTypeOf<AbortSignal>();
        expectTypeOf(ctx.attempt).toBeNumber();
        // @ts-expect-error — no such argument
        void args.amout;
        return { id: 't1' };
      },
    });
  });

  it('gives rules, approval, summarize and fallback the same args type', () => {
    defineTool({
      name: 'transfer_funds',
      description: 'Move money',
      input,
      rules: [
        (args, ctx) => {
          expectTypeOf(args).toEqualTypeOf<TransferArgs>();
          expectTypeOf(ctx).toEqualTypeOf<RuleContext>();
          // @ts-expect-error — rules do not get the attempt signal
          void ctx.signal;
          return args.from !== args.to || 'from and to must differ';
        },
        async (args) => (args.amount > 0 ? true : { path: ['amount'], message: 'must be positive' }),
        (args) => [args.currency === 'EUR' ? 'EUR only' : { message: 'bad' }],
      ],
      approval: (args) => {
        expectTypeOf(args).toEqualTypeOf<TransferArgs>();
        return args.amount > 1000 ? 'confirm' : 'none';
      },
      summarize: (args) => `${args.amount} ${args.currency}`,
      execute: () => 'ok',
    });
  });

  it('rejects a rule that returns something other than a RuleResult', () => {
    defineTool({
      name: 'x',
      description: 'x',
      input,
      // @ts-expect-error — a number is not a rule result
      rules: [() => 42],
      execute: () => 'ok',
    });
  });

  it('rejects an execute that declares args the schema does not produce', () => {
    defineTool({
      name: 'x',
      description: 'x',
      input,
      // @ts-expect-error — amount is a number, not a string
      execute: (args: { amount: string }) => args.amount,
    });
  });

  it('ToolArgs<typeof tool> is the parsed input type', () => {
    const tool = defineTool({ name: 'transfer_funds', description: 'Move money', input, execute: () => 1 });
    expectTypeOf<ToolArgs<typeof tool>>().toEqualTypeOf<TransferArgs>();
    expectTypeOf(tool).toExtend<Tool<typeof input, number>>();
    const coerced = defineTool({
      name: 'page',
      description: 'Page',
      input: z.object({ page: z.coerce.number().default(1) }),
      execute: (args) => args.page,
    });
    expectTypeOf<ToolArgs<typeof coerced>>().toEqualTypeOf<{ page: number }>();
  });

  it('checks execute results against the output schema', () => {
    defineTool({
      name: 'x',
      description: 'x',
      input,
      output: z.object({ id: z.string() }),
      execute: async () => ({ id: 'a' }),
    });
    defineTool({
      name: 'x',
      description: 'x',
      input,
      output: z.object({ id: z.string() }),
      // @ts-expect-error — id must be a string
      execute: async () => ({ id: 1 }),
    });
  });
});
