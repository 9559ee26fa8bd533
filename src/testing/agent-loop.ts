import { WardenConfigError } from '../errors.js';
import type { ModelSpec, RunOptions, RunResult } from '../run/types.js';
import type { ToolOutcome } from '../tools/outcome.js';
import type { Warden } from '../warden.js';
import type { ScriptedMessage, ScriptedRequest, ScriptedResponse, ScriptedTurn } from './scripted-model.js';

/** What `runScriptedAgent` needs of a model: a `ScriptedModel`, or anything with `spec` and `next`. */
export interface ScriptedAgentModel {
  readonly spec: ModelSpec;
  next(request: ScriptedRequest): ScriptedTurn | ScriptedResponse | Promise<ScriptedTurn | ScriptedResponse>;
}

/** One tool call the agent made, as `onToolOutcome` sees it. */
export interface ScriptedAgentToolCall {
  name: string;
  args: unknown;
  id: string;
}

export interface ScriptedAgentOptions {
  /** The user's request: a message, or the conversation so far. @default no messages */
  input?: string | readonly ScriptedMessage[];
  /** Model turns before the loop gives up with a `WardenConfigError`. @default 100 */
  maxTurns?: number;
  /** Called after each tool call with its outcome (for printing or collecting outcomes). */
  onToolOutcome?: (call: ScriptedAgentToolCall, outcome: ToolOutcome) => void;
}

const DEFAULT_MAX_TURNS = 100;

/**
 * The reference agent loop, for tests: inside `warden.run(runOptions)`, each model turn goes
 * through `run.model(model.spec, ...)` and each of its tool calls through `run.tool(name, args,
 * { callId })`, in order, with `outcome.forModel()` fed back as a `tool` message. A turn without
 * tool calls ends the run; its `text` is the output.
 *
 * Resolves with the `RunResult` (`stopped` when a guard ended the run); rejects like `warden.run`
 * does on bugs — an `UnexpectedModelCall` when the script runs out, a `WardenConfigError` when a
 * tool without a mock is called.
 *
 * @example
 * const result = await runScriptedAgent(warden.withTools(mocks), scriptedModel(turns), { userId: 'u1' });
 */
export async function runScriptedAgent(
  warden: Pick<Warden, 'run'>,
  model: ScriptedAgentModel,
  runOptions: RunOptions = {},
  options: ScriptedAgentOptions = {},
): Promise<RunResult<string | undefined>> {
  const maxTurns = options.maxTurns ?? DEFAULT_MAX_TURNS;
  if (!Number.isInteger(maxTurns) || maxTurns < 1) {
    throw new WardenConfigError({
      path: 'runScriptedAgent(options).maxTurns',
      message: `expected an integer >= 1, got ${String(maxTurns)}`,
    });
  }
  if (typeof model?.next !== 'function') {
    throw new WardenConfigError({
      path: 'runScriptedAgent(model)',
      message: 'expected a scriptedModel(turns) (or { spec, next(request) })',
    });
  }
  const initial: ScriptedMessage[] =
    typeof options.input === 'string'
      ? [{ role: 'user', content: options.input }]
      : [...(options.input ?? [])];

  return warden.run(runOptions, async (run) => {
    const messages = [...initial];
    for (let turn = 1; turn <= maxTurns; turn++) {
      const response = await run.model(model.spec, () => Promise.resolve(model.next({ messages })));
      const toolCalls = (response.toolCalls ?? []).map((call, i) => ({
        name: call.name,
        args: call.args,
        id: call.id ?? `call_${turn}_${i}`,
      }));
      messages.push({
        role: 'assistant',
        content: response.text ?? null,
        ...(toolCalls.length > 0 ? { toolCalls } : {}),
      });
      if (toolCalls.length === 0) return response.text;
      for (const call of toolCalls) {
        const outcome = await run.tool(call.name, call.args, { callId: call.id });
        options.onToolOutcome?.(call, outcome);
        messages.push({ role: 'tool', toolCallId: call.id, name: call.name, content: outcome.forModel() });
      }
    }
    throw new WardenConfigError({
      path: 'runScriptedAgent(options).maxTurns',
      message: `the agent made ${maxTurns} model turns without a final answer; raise maxTurns or end the script`,
    });
  });
}
