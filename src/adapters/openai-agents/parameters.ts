import type { z } from 'zod';
import { type AnyTool, WardenConfigError } from '../../index.js';
import { type JsonSchemaObject, modelJsonSchema, strictProblem } from '../shared/strict-json-schema.js';

/** Tool parameters for the Agents SDK, made from a warden tool's zod input. */
export interface AgentsParameters {
  /** Plain JSON Schema (never a zod or Standard Schema object: the warden, not the SDK, validates). */
  parameters: JsonSchemaObject;
  /** Why strict mode cannot apply, or `undefined` when it may (the SDK has the last word). */
  strictProblem: string | undefined;
}

const converted = new WeakMap<object, AgentsParameters>();

/**
 * The JSON Schema the model sees for `tool`, computed once per input schema.
 *
 * It is a plain JSON Schema object on purpose: given a zod schema, the SDK would parse the arguments
 * itself before the tool runs, so arguments that fail the schema would never reach the warden (no
 * `invalid_arguments` outcome, no span, no audit) and zod transforms would run twice. With JSON
 * Schema the SDK only parses the JSON, and the warden validates against the zod schema.
 *
 * The SDK converts the schema to strict mode itself, so `strictProblem` names only what its
 * conversion lets through and the API rejects: a value of any type, or an object open to extra
 * properties.
 */
export function agentsParameters(tool: AnyTool, fn: string): AgentsParameters {
  const input = tool.input as z.ZodType;
  const cached = converted.get(input);
  if (cached) return cached;
  const parameters = modelJsonSchema(tool, fn);
  if (parameters.type !== 'object') {
    throw new WardenConfigError({
      path: `${fn}.${tool.name}.input`,
      message: 'the Agents SDK takes tool arguments as one JSON object; wrap the schema in z.object({ ... })',
    });
  }
  const result: AgentsParameters = { parameters, strictProblem: strictProblem(parameters, 'sdk-converted') };
  converted.set(input, result);
  return result;
}
