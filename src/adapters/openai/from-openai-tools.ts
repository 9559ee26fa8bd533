import type OpenAI from 'openai';
import { type AnyTool, type ToolContext, WardenConfigError } from '../../index.js';
import { defineFrameworkTool, zodFromJsonSchema } from '../shared/framework-tool.js';
import { checkOverrides, checkToolNames, type GuardOverrides } from '../shared/overrides.js';
import type { JsonSchemaObject } from '../shared/strict-json-schema.js';
import { declareSchema } from './json-schema.js';

/** An OpenAI function tool as you already send it: the Chat Completions or the Responses shape. */
export type OpenAIFunctionDefinition =
  | OpenAI.Chat.Completions.ChatCompletionFunctionTool
  | OpenAI.Responses.FunctionTool;

/** The code that serves one function tool: receives the validated arguments. */
export type OpenAIToolHandler = (args: Record<string, any>, ctx: ToolContext) => unknown;

/** Guard options added to a tool made from an OpenAI definition (see `defineTool`). */
export type OpenAIToolOverrides = GuardOverrides<Record<string, any>, any>;

const FN = 'fromOpenAITools';

interface Definition {
  name: string;
  description: string;
  parameters: JsonSchemaObject;
  strict: boolean | undefined;
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function readDefinition(tool: unknown, i: number): Definition {
  const t = isObject(tool) ? tool : {};
  const fn = isObject(t.function) ? t.function : t;
  if (t.type !== 'function' || typeof fn.name !== 'string') {
    throw new WardenConfigError({
      path: `${FN}(tools)[${i}]`,
      message:
        "expected a function tool: { type: 'function', function: { name, description, parameters } } " +
        "(Chat Completions) or { type: 'function', name, description, parameters } (Responses)",
    });
  }
  if (fn.parameters !== undefined && fn.parameters !== null && !isObject(fn.parameters)) {
    throw new WardenConfigError({
      path: `${FN}(tools)[${i}].parameters`,
      message: 'expected a JSON Schema object',
    });
  }
  return {
    name: fn.name,
    description: typeof fn.description === 'string' ? fn.description : '',
    parameters: isObject(fn.parameters) ? fn.parameters : { type: 'object', properties: {} },
    strict: typeof fn.strict === 'boolean' ? fn.strict : undefined,
  };
}

/**
 * Turn the OpenAI function tools you already have — the definitions you send in `tools` and the
 * functions that serve them — into warden tools, so a hand-written OpenAI loop keeps its tools and
 * gains the guards. Each definition's JSON Schema becomes the tool's validator (arguments are
 * checked before the handler runs) and is sent back to the model unchanged by
 * `toChatCompletionsTools` / `toResponsesTools`, with its `strict` flag.
 *
 * Tools default to `effect: 'write'` (fail closed: idempotent, never auto-retried); mark read-only
 * tools `effect: 'read'` in `overrides`. A handler or override for a name that is not among the
 * definitions, or a definition without a handler, is a `WardenConfigError` naming it.
 *
 * @example
 * ```ts
 * const warden = createWarden({
 *   tools: fromOpenAITools(tools, { get_weather: getWeather, send_email: sendEmail }, {
 *     get_weather: { effect: 'read' },
 *     send_email: { approval: 'confirm' },
 *   }),
 * });
 * ```
 */
export function fromOpenAITools(
  tools: readonly OpenAIFunctionDefinition[],
  handlers: Readonly<Record<string, OpenAIToolHandler>>,
  overrides: Readonly<Record<string, OpenAIToolOverrides>> = {},
): AnyTool[] {
  if (!Array.isArray(tools)) {
    throw new WardenConfigError({
      path: `${FN}(tools)`,
      message: 'expected an array of OpenAI function tools',
    });
  }
  const definitions = tools.map(readDefinition);
  const names = definitions.map((d) => d.name);
  checkToolNames(handlers, names, `${FN}(handlers)`);
  const byName = checkOverrides<OpenAIToolOverrides>(overrides, names, `${FN}(overrides)`);
  return definitions.map((definition, i) => {
    const { name, description, parameters } = definition;
    const handler = Object.hasOwn(handlers, name) ? handlers[name] : undefined;
    if (typeof handler !== 'function') {
      throw new WardenConfigError({
        path: `${FN}(handlers).${name}`,
        message: `no handler for tool '${name}'; pass { ${name}: (args, ctx) => result }`,
      });
    }
    const input = zodFromJsonSchema(parameters, `${FN}(tools)[${i}](${name}).parameters`);
    declareSchema(input, parameters, definition.strict);
    return defineFrameworkTool(
      { name, description, input, execute: handler },
      byName.get(name),
      `${FN}(tools)[${i}]`,
    );
  });
}
