import type { StructuredToolInterface } from '@langchain/core/tools';
import type { z } from 'zod';
import { type Tool, WardenConfigError } from '../../index.js';
import { defineFrameworkTool, zodFromJsonSchema } from '../shared/framework-tool.js';
import { checkOverrides, type GuardOverrides } from '../shared/overrides.js';

/** The zod schema type of a LangChain tool (`z.ZodType` when it is not a zod 4 schema). */
type SchemaOf<T> = T extends { schema: infer S } ? (S extends z.ZodType ? S : z.ZodType) : z.ZodType;

/** The parsed arguments of a LangChain tool. */
type ArgsOf<T> = T extends { schema: infer S }
  ? S extends z.ZodType
    ? z.output<S>
    : Record<string, any>
  : Record<string, any>;

/** The literal name of a LangChain tool (`string` when it is not a literal). */
type NameOf<T> = T extends { name: infer N extends string } ? N : string;

/**
 * Guard options added to an existing LangChain tool: `effect`, `approval`, `rules`, `timeoutMs`,
 * `retry`, `breaker`, `idempotency`, `output`, `summarize`, `fallback` — with the defaults of
 * `defineTool` (notably `effect: 'write'`) for anything left out. `Args` is the tool's parsed input.
 */
export type LangChainToolOverride<Args = Record<string, unknown>> = GuardOverrides<Args, unknown>;

/** The warden tool made from a LangChain tool. */
export type FromLangChainTool<T> = Tool<SchemaOf<T>, unknown, NameOf<T>>;

/** Guard options per tool name, typed by each tool's arguments. */
export type LangChainToolOverrides<TTools extends readonly StructuredToolInterface[]> = {
  readonly [Name in NameOf<TTools[number]>]?: LangChainToolOverride<
    ArgsOf<Extract<TTools[number], { name: Name }>>
  >;
};

function isZodSchema(value: unknown): value is z.ZodType {
  return (
    typeof value === 'object' &&
    value !== null &&
    typeof (value as { safeParseAsync?: unknown }).safeParseAsync === 'function'
  );
}

/** The tool's zod schema, or one built from its JSON Schema (`z.fromJSONSchema`). */
function inputSchemaOf(tool: StructuredToolInterface, path: string): z.ZodType {
  const schema: unknown = tool.schema;
  if (isZodSchema(schema)) return schema;
  if (typeof schema === 'object' && schema !== null && !Array.isArray(schema)) {
    return zodFromJsonSchema(schema, `${path}.schema`, 'give the tool a zod schema');
  }
  throw new WardenConfigError({
    path: `${path}.schema`,
    message: 'expected a zod schema or a JSON Schema object',
  });
}

/**
 * Warden tool definitions from existing LangChain tools (`tool()` results, `StructuredTool`s): the
 * name, description and zod schema are kept (a JSON Schema is converted with `z.fromJSONSchema`), and
 * `execute` calls the original tool's `invoke(args, { signal })`. Guard options come from
 * `overrides`, keyed by tool name; tools without one get `defineTool`'s fail-closed defaults
 * (`effect: 'write'`: idempotent, never retried) — mark read-only tools `{ effect: 'read' }`.
 *
 * Throws `WardenConfigError` for an override naming no tool in the list, an unknown guard option, a
 * name outside `^[A-Za-z0-9_-]{1,64}$`, or a schema that cannot be used.
 *
 * ```ts
 * const tools = fromLangChainTools([searchDocs, sendEmail], {
 *   search_docs: { effect: 'read' },
 *   send_email: { approval: 'confirm', rules: [(a) => a.to.endsWith('@example.com') || 'external address'] },
 * });
 * const warden = createWarden({ tools, approvals: { secret } });
 * ```
 */
export function fromLangChainTools<const TTools extends readonly StructuredToolInterface[]>(
  tools: TTools,
  overrides?: LangChainToolOverrides<TTools>,
): { -readonly [K in keyof TTools]: FromLangChainTool<TTools[K]> } {
  if (!Array.isArray(tools)) {
    throw new WardenConfigError({
      path: 'fromLangChainTools(tools)',
      message: 'expected an array of LangChain tools',
    });
  }
  const names = tools.map((tool: unknown) =>
    typeof tool === 'object' && tool !== null ? (tool as { name?: unknown }).name : undefined,
  );
  const byName = checkOverrides(
    overrides,
    names.filter((name): name is string => typeof name === 'string'),
    'fromLangChainTools(overrides)',
  );
  return tools.map((tool: StructuredToolInterface, i: number) => {
    const path = `fromLangChainTools(tools[${i}])`;
    if (typeof tool !== 'object' || tool === null || typeof tool.invoke !== 'function') {
      throw new WardenConfigError({
        path,
        message: 'expected a LangChain tool (tool() or a StructuredTool)',
      });
    }
    return defineFrameworkTool(
      {
        name: tool.name,
        description: typeof tool.description === 'string' ? tool.description : '',
        input: inputSchemaOf(tool, path),
        execute: (args: unknown, ctx: { signal: AbortSignal }) =>
          tool.invoke(args as never, { signal: ctx.signal }),
      },
      byName.get(tool.name),
      path,
    );
  }) as { -readonly [K in keyof TTools]: FromLangChainTool<TTools[K]> };
}
