/**
 * Schemas between the two worlds. The warden validates arguments with zod; the AI SDK accepts
 * zod, Standard Schema (valibot, arktype, zod 3) and `jsonSchema()` schemas.
 */
import { asSchema, type FlexibleSchema, jsonSchema, type Schema } from 'ai';
import { z } from 'zod';

type Issue = { path?: Array<string | number>; message: string };

/** A zod 4 schema the warden's pipeline can use as it is. */
function isZod4(schema: unknown): schema is z.ZodType {
  return (
    typeof schema === 'object' &&
    schema !== null &&
    '_zod' in schema &&
    typeof (schema as { safeParseAsync?: unknown }).safeParseAsync === 'function'
  );
}

function pathOf(path: unknown): Array<string | number> | undefined {
  if (!Array.isArray(path)) return undefined;
  return path.map((segment: unknown) => {
    const key =
      typeof segment === 'object' && segment !== null ? (segment as { key?: unknown }).key : segment;
    return typeof key === 'number' ? key : String(key);
  });
}

/** The issues of a failed AI SDK validation: zod's `issues`, Standard Schema's `cause`, else the message. */
function issuesOf(error: Error): Issue[] {
  const candidates = [(error as { issues?: unknown }).issues, (error as { cause?: unknown }).cause];
  for (const list of candidates) {
    if (!Array.isArray(list) || list.length === 0) continue;
    const issues = list
      .filter((issue): issue is { message: string; path?: unknown } => typeof issue?.message === 'string')
      .map((issue) => {
        const path = pathOf(issue.path);
        return path?.length ? { path, message: issue.message } : { message: issue.message };
      });
    if (issues.length > 0) return issues;
  }
  return [{ message: error.message }];
}

/**
 * The zod schema the warden validates an AI SDK tool's input with. A zod 4 schema is used as it
 * is. Any other schema is wrapped: the zod schema calls the AI SDK schema's own `validate` (and
 * keeps the value it returns), turning its issues into zod issues with their paths. A
 * `jsonSchema()` without `validate` accepts any value, as it does in the AI SDK.
 */
export function zodInputOf(inputSchema: FlexibleSchema<unknown>): z.ZodType {
  if (isZod4(inputSchema)) return inputSchema;
  let schema: Schema<unknown> | undefined;
  return z.unknown().transform(async (value, ctx) => {
    schema ??= asSchema(inputSchema);
    if (!schema.validate) return value;
    const result = await schema.validate(value);
    if (result.success) return result.value;
    for (const issue of issuesOf(result.error)) {
      ctx.addIssue({ code: 'custom', message: issue.message, ...(issue.path ? { path: issue.path } : {}) });
    }
    return z.NEVER;
  });
}

/**
 * The schema the AI SDK shows the model: the JSON Schema of `schema`, without validation. The
 * warden validates (schema, then rules) inside `run.tool()`, so a bad argument reaches the model as
 * an `invalid_arguments` tool result it can fix, and is counted, audited and traced.
 */
export function modelFacingSchema(schema: FlexibleSchema<unknown>): Schema<unknown> {
  return jsonSchema(() => asSchema(schema).jsonSchema);
}
