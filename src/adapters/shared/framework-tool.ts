/**
 * A warden tool made from a framework's tool (`fromOpenAITools`, `fromAgentsTools`,
 * `fromLangChainTools`, `fromAiSdkTools`): the framework tool gives the name, description, input and
 * execute, its guard override the rest.
 */
import { z } from 'zod';
import {
  type AnyTool,
  defineTool,
  type ToolContext,
  type ToolDefinition,
  WardenConfigError,
} from '../../index.js';
import { checkToolDefinition } from './internal.js';
import type { GuardOverrides } from './overrides.js';

/** What a framework tool itself provides for the warden tool made from it. */
export interface FrameworkToolBase {
  name: string;
  description: string;
  input: z.ZodType;
  execute: (args: any, ctx: ToolContext) => unknown;
  /** The framework tool's own approval policy, if it has one; an override's `approval` replaces it. */
  approval?: GuardOverrides['approval'];
}

/**
 * The warden tool for a framework tool: `base` with the guard options of its override on top
 * (checked with `checkOverrides`, so it sets nothing but guard options). What neither sets gets
 * `defineTool`'s fail-closed defaults (`effect: 'write'`: idempotent, never auto-retried).
 *
 * @param path where the framework tool was passed, e.g. `'fromLangChainTools(tools[0])'`: a
 *   `WardenConfigError` for a bad name or guard value names it.
 */
export function defineFrameworkTool(
  base: FrameworkToolBase,
  override: object | undefined,
  path: string,
): AnyTool {
  const definition = { ...base, ...override };
  checkToolDefinition(definition, path);
  return defineTool(definition as ToolDefinition & { name: string });
}

/**
 * The zod schema the warden validates a framework tool's arguments with, built from a copy of the
 * tool's JSON Schema (`z.fromJSONSchema`), so later changes to the tool's schema object do not reach it.
 *
 * @param hint what to do instead when the JSON Schema cannot be converted.
 * @throws WardenConfigError at `path` when it cannot.
 */
export function zodFromJsonSchema(
  schema: object,
  path: string,
  hint?: string,
): z.ZodType<Record<string, any>> {
  try {
    return z.fromJSONSchema(structuredClone(schema) as Parameters<typeof z.fromJSONSchema>[0]) as z.ZodType<
      Record<string, any>
    >;
  } catch (error) {
    throw new WardenConfigError({
      path,
      message:
        `the JSON Schema could not be turned into a zod schema (${(error as Error).message})` +
        (hint ? `; ${hint}` : ''),
      cause: error,
    });
  }
}
