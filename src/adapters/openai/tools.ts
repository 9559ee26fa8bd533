import type OpenAI from 'openai';
import type { Warden } from '../../index.js';
import { checkStrictOption, selectTools, strictModeError } from '../shared/offered-tools.js';
import { functionSchema } from './json-schema.js';

/** Options of {@link toChatCompletionsTools} and {@link toResponsesTools}. */
export interface OpenAIToolsOptions {
  /**
   * Offer only these tools (names registered with the warden) — typically the same list as the run's
   * `tools` narrowing, so the model is not shown tools the run would refuse. An unknown name is a
   * `WardenConfigError`.
   * @default every tool of the warden, in registration order
   */
  tools?: readonly string[];
  /**
   * OpenAI strict mode (Structured Outputs) for the arguments. `'auto'`: `strict: true` exactly when
   * the tool's schema fits the strict subset as it is (every property required, no open objects, no
   * unsupported keywords), else `strict: false`. `true`: every tool must fit, or a `WardenConfigError`
   * names the tool and the reason. `false`: never strict. The warden validates every call against
   * the zod schema either way.
   * @default 'auto'
   */
  strict?: 'auto' | boolean;
}

/** A warden, or anything else that holds the tools to offer. */
export type ToolSource = Pick<Warden, 'tools'>;

interface Described {
  name: string;
  description: string;
  parameters: { [key: string]: unknown };
  strict: boolean;
}

function describeTools(source: ToolSource, options: OpenAIToolsOptions, fn: string): Described[] {
  const mode = checkStrictOption(options.strict, fn);
  const selected = selectTools(source?.tools ?? [], options.tools, fn);
  return selected.map((tool) => {
    const schema = functionSchema(tool, fn);
    let strict: boolean;
    if (mode === true) {
      if (schema.strictProblem) throw strictModeError(fn, tool.name, schema.strictProblem);
      strict = true;
    } else if (mode === false) {
      strict = false;
    } else {
      strict = schema.declaredStrict ?? schema.strictProblem === undefined;
    }
    return {
      name: tool.name,
      description: tool.description,
      parameters: structuredClone(schema.parameters),
      strict,
    };
  });
}

/**
 * The warden's tools as Chat Completions function tools (`tools` of `client.chat.completions.create`),
 * with JSON Schema made from each tool's zod input schema.
 *
 * @example
 * ```ts
 * const tools = toChatCompletionsTools(warden);
 * const completion = await chatCompletion(run, client, { model: 'gpt-4.1', messages, tools });
 * ```
 */
export function toChatCompletionsTools(
  warden: ToolSource,
  options: OpenAIToolsOptions = {},
): OpenAI.Chat.Completions.ChatCompletionFunctionTool[] {
  return describeTools(warden, options, 'toChatCompletionsTools').map(
    ({ name, description, parameters, strict }) => ({
      type: 'function',
      function: { name, description, parameters, strict },
    }),
  );
}

/**
 * The warden's tools as Responses API function tools (`tools` of `client.responses.create`),
 * with JSON Schema made from each tool's zod input schema.
 *
 * @example
 * ```ts
 * const response = await createResponse(run, client, { model: 'gpt-4.1', input, tools: toResponsesTools(warden) });
 * ```
 */
export function toResponsesTools(
  warden: ToolSource,
  options: OpenAIToolsOptions = {},
): OpenAI.Responses.FunctionTool[] {
  return describeTools(warden, options, 'toResponsesTools').map(
    ({ name, description, parameters, strict }) => ({
      type: 'function',
      name,
      description,
      parameters,
      strict,
    }),
  );
}
