// Tools, wardens and run handles shared by the benchmarks.
import {
  createWarden,
  defineTool,
  type Run,
  type RunOptions,
  type RunResult,
  type Warden,
} from 'agent-warden';
import { z } from 'zod';

/** What both tools return: small, like a real lookup's summary. */
export const RESULT = Object.freeze({ ok: true, id: 'res_1' });

/** The tool's own work, the same function the baselines call: a bare async call. */
export async function work(_args: unknown): Promise<typeof RESULT> {
  return RESULT;
}

/** A read tool: no idempotency; transient errors retried (none happen here). */
export const searchDocs = defineTool({
  name: 'search_docs',
  description: 'Searches the help center',
  input: z.object({ query: z.string().min(1).max(200), limit: z.number().int().min(1).max(20).optional() }),
  effect: 'read',
  execute: work,
});

/** A write tool with the defaults: idempotency on (key derived from the arguments), no retries. */
export const sendEmail = defineTool({
  name: 'send_email',
  description: 'Sends an email',
  input: z.object({
    to: z.string().min(3).max(254),
    subject: z.string().max(200),
    body: z.string().max(10_000),
  }),
  execute: work,
});

/** The same write tool without idempotency: what the rest of a write call costs. */
export const sendEmailOnce = defineTool({
  name: 'send_email_unkeyed',
  description: 'Sends an email (no idempotency key)',
  input: sendEmail.input,
  idempotency: false,
  execute: work,
});

export const TOOLS = [searchDocs, sendEmail, sendEmailOnce] as const;

/** Arguments that differ on every call (identical consecutive calls would trip loop detection). */
export const readArgs = (i: number) => ({ query: `refund policy ${i}`, limit: 5 });
export const writeArgs = (i: number) => ({
  to: 'ada@example.com',
  subject: `Your refund #${i}`,
  body: 'Hello Ada, your refund has been processed.',
});

/** Run budgets no benchmark reaches (every default is finite: a guard library fails closed). */
export const LOOSE_RUN_BUDGET = {
  steps: 1_000_000_000,
  toolCalls: 1_000_000_000,
  tokens: 1_000_000_000_000,
  durationMs: 86_400_000,
};

/** A warden with the default pipeline and memory store, and run budgets a benchmark does not reach. */
export function benchWarden(options: Parameters<typeof createWarden>[0] = {}): Warden<typeof TOOLS> {
  return createWarden({
    tools: TOOLS,
    ...options,
    budgets: { ...options.budgets, run: { ...LOOSE_RUN_BUDGET, ...options.budgets?.run } },
  }) as Warden<typeof TOOLS>;
}

export interface OpenRun {
  run: Run;
  /** End the run; resolves with its result. */
  finish(): Promise<RunResult<void>>;
}

/** A run held open outside its callback, so a benchmark can time calls on it batch by batch. */
export async function openRun(
  warden: Pick<Warden, 'run'>,
  options: RunOptions = { userId: 'u1' },
): Promise<OpenRun> {
  let release!: () => void;
  const released = new Promise<void>((resolve) => {
    release = resolve;
  });
  let resolveRun!: (run: Run) => void;
  const started = new Promise<Run>((resolve) => {
    resolveRun = resolve;
  });
  const result = warden.run(options, async (run) => {
    resolveRun(run);
    await released;
  });
  const run = await Promise.race([
    started,
    result.then((r) => {
      throw new Error(`the run ended before it started: ${JSON.stringify(r)}`);
    }),
  ]);
  return {
    run,
    finish: async () => {
      release();
      return result;
    },
  };
}

/** Fail loudly when a benchmarked call was refused: a refusal is a different (shorter) path. */
export function expectOk(outcome: { ok: boolean; forModel(): string }): void {
  if (!outcome.ok) throw new Error(`a benchmarked tool call was refused: ${outcome.forModel()}`);
}
