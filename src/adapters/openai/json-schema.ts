import type { z } from 'zod';
import type { AnyTool } from '../../index.js';
import { type JsonSchemaObject, modelJsonSchema, strictProblem } from '../shared/strict-json-schema.js';

/** The model-facing schema of one tool, and why strict mode cannot apply to it (if it cannot). */
export interface FunctionSchema {
  parameters: JsonSchemaObject;
  /** `undefined` when the schema meets OpenAI's strict-mode subset as it is. */
  strictProblem: string | undefined;
  /** The `strict` flag the tool was declared with (tools made by `fromOpenAITools`). */
  declaredStrict?: boolean;
}

/** Schemas declared by `fromOpenAITools`, keyed by the zod schema made from them. */
const declared = new WeakMap<object, { parameters: JsonSchemaObject; strict: boolean | undefined }>();
/** Converted schemas, keyed by the tool's zod input schema (shared by `withTools` copies). */
const converted = new WeakMap<object, FunctionSchema>();

/** Remember the JSON Schema a tool was declared with, so it reaches the model unchanged. */
export function declareSchema(
  input: z.ZodType,
  parameters: JsonSchemaObject,
  strict: boolean | undefined,
): void {
  declared.set(input, { parameters: structuredClone(parameters), strict });
}

/**
 * The JSON Schema to send to OpenAI for `tool`, computed once per input schema: the one it was
 * declared with, else the model-facing JSON Schema of its zod input, where formats strict mode does
 * not know are dropped too. The schema is sent as it is, so strict mode needs it to fit as it is.
 */
export function functionSchema(tool: AnyTool, fn: string): FunctionSchema {
  const input = tool.input as z.ZodType;
  const cached = converted.get(input);
  if (cached) return cached;
  const own = declared.get(input);
  let result: FunctionSchema;
  if (own) {
    result = {
      parameters: own.parameters,
      strictProblem: strictProblem(own.parameters, 'as-is'),
      ...(own.strict !== undefined ? { declaredStrict: own.strict } : {}),
    };
  } else {
    const parameters = modelJsonSchema(tool, fn, { strictFormatsOnly: true });
    result = { parameters, strictProblem: strictProblem(parameters, 'as-is') };
  }
  converted.set(input, result);
  return result;
}
