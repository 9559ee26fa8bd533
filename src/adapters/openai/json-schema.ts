import { z } from 'zod';
import { type AnyTool, WardenConfigError } from '../../index.js';

/** A JSON Schema object, as OpenAI function tools take it. */
export type JsonSchemaObject = { [key: string]: unknown };

/** The model-facing schema of one tool, and why strict mode cannot apply to it (if it cannot). */
export interface FunctionSchema {
  parameters: JsonSchemaObject;
  /** `undefined` when the schema meets OpenAI's strict-mode subset as it is. */
  strictProblem: string | undefined;
  /** The `strict` flag the tool was declared with (tools made by `fromOpenAITools`). */
  declaredStrict?: boolean;
}

/** Keywords strict mode (Structured Outputs) rejects. */
const UNSUPPORTED = new Set([
  'allOf',
  'not',
  'if',
  'then',
  'else',
  'dependentRequired',
  'dependentSchemas',
  'dependencies',
  'patternProperties',
  'propertyNames',
  'unevaluatedProperties',
  'unevaluatedItems',
  'prefixItems',
  'contains',
  'minContains',
  'maxContains',
  'uniqueItems',
  'minProperties',
  'maxProperties',
  'contentEncoding',
  'contentMediaType',
  '$dynamicRef',
  '$dynamicAnchor',
  '$anchor',
]);

/** String formats strict mode accepts; others are dropped from the model-facing schema. */
const FORMATS = new Set([
  'date-time',
  'time',
  'date',
  'duration',
  'email',
  'hostname',
  'ipv4',
  'ipv6',
  'uuid',
]);

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

/** The JSON Schema to send to OpenAI for `tool`, computed once per input schema. */
export function functionSchema(tool: AnyTool, fn: string): FunctionSchema {
  const input = tool.input as z.ZodType;
  const cached = converted.get(input);
  if (cached) return cached;
  const own = declared.get(input);
  let result: FunctionSchema;
  if (own) {
    result = {
      parameters: own.parameters,
      strictProblem: strictProblem(own.parameters),
      ...(own.strict !== undefined ? { declaredStrict: own.strict } : {}),
    };
  } else {
    let raw: JsonSchemaObject;
    try {
      raw = z.toJSONSchema(input, { io: 'input', unrepresentable: 'any' }) as JsonSchemaObject;
    } catch (error) {
      throw new WardenConfigError({
        path: `${fn}.${tool.name}.input`,
        message: `its zod schema cannot be expressed as JSON Schema (${(error as Error).message})`,
        cause: error,
      });
    }
    const parameters = forModel(raw);
    result = { parameters, strictProblem: strictProblem(parameters) };
  }
  converted.set(input, result);
  return result;
}

/**
 * Shape zod's JSON Schema for the model: no `$schema`; objects that strip unknown keys (zod's default)
 * are closed with `additionalProperties: false`; `oneOf` (discriminated unions) becomes `anyOf`; formats
 * strict mode does not know are dropped. The warden still validates every call against the zod schema,
 * so what is loosened here is only a hint to the model, never the check.
 */
function forModel(schema: JsonSchemaObject): JsonSchemaObject {
  const { $schema: _ignored, ...rest } = schema;
  return normalize(rest) as JsonSchemaObject;
}

function isObject(value: unknown): value is JsonSchemaObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function normalize(node: unknown): unknown {
  if (!isObject(node)) return node;
  const out: JsonSchemaObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'oneOf') out.anyOf = (value as unknown[]).map(normalize);
    else if (key === 'format' && typeof value === 'string' && !FORMATS.has(value)) continue;
    else if (key === 'properties' || key === '$defs' || key === 'definitions') out[key] = mapValues(value);
    else if (key === 'items' || key === 'additionalProperties' || key === 'not') out[key] = normalize(value);
    else if (key === 'anyOf' || key === 'allOf' || key === 'prefixItems') {
      out[key] = (value as unknown[]).map(normalize);
    } else out[key] = value;
  }
  if ((out.type === 'object' || isObject(out.properties)) && !('additionalProperties' in out)) {
    out.additionalProperties = false;
  }
  return out;
}

function mapValues(value: unknown): unknown {
  if (!isObject(value)) return value;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
}

function hasType(node: JsonSchemaObject): boolean {
  return ['type', 'anyOf', '$ref', 'enum', 'const'].some((k) => k in node);
}

/** The first reason `schema` falls outside OpenAI's strict-mode subset, or `undefined`. */
export function strictProblem(schema: JsonSchemaObject): string | undefined {
  if (schema.type !== 'object') return 'the arguments are not described as one JSON object';
  if ('anyOf' in schema) return 'the arguments are a union (anyOf) at the root';
  return check(schema, 'arguments');
}

function check(node: unknown, at: string): string | undefined {
  if (node === true || (isObject(node) && !hasType(node))) {
    return `${at} accepts any value (z.any(), z.unknown(), or a type JSON Schema cannot express such as z.date())`;
  }
  if (!isObject(node)) return node === false ? undefined : `${at} is not a schema`;
  for (const key of Object.keys(node)) {
    if (UNSUPPORTED.has(key)) return `${at} uses '${key}', which strict mode does not support`;
  }
  if (node.type === 'object' || isObject(node.properties)) {
    if (node.additionalProperties !== false) {
      return `${at} allows extra properties (z.record(), z.looseObject() or .catchall())`;
    }
    const properties = isObject(node.properties) ? node.properties : {};
    const required = new Set(Array.isArray(node.required) ? node.required : []);
    for (const [name, child] of Object.entries(properties)) {
      if (!required.has(name)) {
        return `${at}.${name} is optional; strict mode needs every property required (use .nullable() instead of .optional() or .default())`;
      }
      const problem = check(child, `${at}.${name}`);
      if (problem) return problem;
    }
  }
  if ('items' in node) {
    const problem = check(node.items, `${at}[]`);
    if (problem) return problem;
  }
  if (Array.isArray(node.anyOf)) {
    for (const [i, branch] of node.anyOf.entries()) {
      const problem = check(branch, `${at}(option ${i + 1})`);
      if (problem) return problem;
    }
  }
  for (const defs of [node.$defs, node.definitions]) {
    if (!isObject(defs)) continue;
    for (const [name, def] of Object.entries(defs)) {
      const problem = check(def, `$defs.${name}`);
      if (problem) return problem;
    }
  }
  return undefined;
}
