import type OpenAI from 'openai';
import { z } from 'zod';
import {
  type AnyTool,
  defineTool,
  type ToolContext,
  type ToolDefinition,
  WardenConfigError,
} from '../../index.js';
import { declareSchema, type JsonSchemaObject } from './json-schema.js';

/** An OpenAI function tool as you already send it: the Chat Completions or the Responses shape. */
export type OpenAIFunctionDefinition =
  | OpenAI.Chat.Completions.ChatCompletionFunctionTool
  | OpenAI.Responses.FunctionTool;

/** The code that serves one function tool: receives the validated arguments. */
export type OpenAIToolHandler = (args: Record<string, any>, ctx: ToolContext) => unknown;

/** Guard options added to a tool made from an OpenAI definition (see `defineTool`). */
export type OpenAIToolOverrides = Partial<
  Pick<ToolDefinition<z.ZodType<Record<string, any>>, any>, (typeof GUARD_OPTIONS)[number]>
>;

const GUARD_OPTIONS = [
  'effect',
  'approval',
  'rules',
  'timeoutMs',
  'retry',
  'breaker',
  'idempotency',
  'output',
  'summarize',
  'fallback',
] as const;

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

function checkNames(
  what: 'handlers' | 'overrides',
  map: Readonly<Record<string, unknown>>,
  names: readonly string[],
): void {
  if (!isObject(map)) {
    throw new WardenConfigError({ path: `${FN}(${what})`, message: 'expected an object keyed by tool name' });
  }
  const unknown = Object.keys(map).filter((name) => !names.includes(name));
  if (unknown.length > 0) {
    throw new WardenConfigError({
      path: `${FN}(${what}).${unknown[0]}`,
      message:
        `${unknown.map((n) => `'${n}'`).join(', ')} ${unknown.length === 1 ? 'is' : 'are'} not among the tools; ` +
        `the tools are: ${names.join(', ') || '(none)'}`,
    });
  }
}

function checkOverride(name: string, value: unknown): OpenAIToolOverrides {
  if (!isObject(value)) {
    throw new WardenConfigError({
      path: `${FN}(overrides).${name}`,
      message: 'expected an object of guard options',
    });
  }
  for (const key of Object.keys(value)) {
    if (!(GUARD_OPTIONS as readonly string[]).includes(key)) {
      throw new WardenConfigError({
        path: `${FN}(overrides).${name}.${key}`,
        message: `not a guard option; expected one of ${GUARD_OPTIONS.join(', ')}`,
      });
    }
  }
  return value as OpenAIToolOverrides;
}

function inputSchema(definition: Definition, i: number): z.ZodType<Record<string, any>> {
  try {
    return z.fromJSONSchema(definition.parameters as Parameters<typeof z.fromJSONSchema>[0]) as z.ZodType<
      Record<string, any>
    >;
  } catch (error) {
    throw new WardenConfigError({
      path: `${FN}(tools)[${i}](${definition.name}).parameters`,
      message: `the JSON Schema could not be turned into a validator (${(error as Error).message})`,
      cause: error,
    });
  }
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
  checkNames('handlers', handlers, names);
  checkNames('overrides', overrides, names);
  return definitions.map((definition, i) => {
    const { name } = definition;
    const handler = Object.hasOwn(handlers, name) ? handlers[name] : undefined;
    if (typeof handler !== 'function') {
      throw new WardenConfigError({
        path: `${FN}(handlers).${name}`,
        message: `no handler for tool '${name}'; pass { ${name}: (args, ctx) => result }`,
      });
    }
    const override = Object.hasOwn(overrides, name) ? checkOverride(name, overrides[name]) : {};
    const input = inputSchema(definition, i);
    declareSchema(input, definition.parameters, definition.strict);
    return defineTool({ ...override, name, description: definition.description, input, execute: handler });
  });
}
