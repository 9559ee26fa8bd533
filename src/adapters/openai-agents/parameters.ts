import { z } from 'zod';
import { type AnyTool, WardenConfigError } from '../../index.js';

/** A JSON Schema object, as the Agents SDK takes tool parameters. */
export type JsonSchemaObject = { [key: string]: unknown };

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
 */
export function agentsParameters(tool: AnyTool, fn: string): AgentsParameters {
  const input = tool.input as z.ZodType;
  const cached = converted.get(input);
  if (cached) return cached;
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
  const parameters = normalize(raw) as JsonSchemaObject;
  delete parameters.$schema;
  if (parameters.type !== 'object') {
    throw new WardenConfigError({
      path: `${fn}.${tool.name}.input`,
      message: 'the Agents SDK takes tool arguments as one JSON object; wrap the schema in z.object({ ... })',
    });
  }
  const result: AgentsParameters = { parameters, strictProblem: strictProblem(parameters, 'arguments') };
  converted.set(input, result);
  return result;
}

function isObject(value: unknown): value is JsonSchemaObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Copy zod's JSON Schema into plain objects shaped for the model: `oneOf` (discriminated unions)
 * becomes `anyOf`, the `propertyNames: { type: 'string' }` of string-keyed records is dropped (every
 * JSON key is a string), and objects that strip unknown keys (zod's default) are closed with
 * `additionalProperties: false`. The copy also drops zod's non-enumerable `~standard` marker, which
 * would make the SDK treat the schema as a Standard Schema and validate with it.
 */
function normalize(node: unknown): unknown {
  if (Array.isArray(node)) return node.map(normalize);
  if (!isObject(node)) return node;
  const out: JsonSchemaObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'propertyNames' && isStringKeys(value)) continue;
    if (key === 'oneOf') out.anyOf = normalize(value);
    else if (DATA_KEYWORDS.has(key)) out[key] = structuredClone(value);
    else if (SCHEMA_MAPS.has(key) && isObject(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([k, v]) => [k, normalize(v)]));
    } else out[key] = normalize(value);
  }
  if ((out.type === 'object' || isObject(out.properties)) && !('additionalProperties' in out)) {
    out.additionalProperties = false;
  }
  return out;
}

/** Keywords whose value is data, not a schema. */
const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'examples', 'required']);
/** Keywords whose value maps names to schemas. */
const SCHEMA_MAPS = new Set(['properties', '$defs', 'definitions']);

/** `{ type: 'string' }`: what every JSON object key already is. */
function isStringKeys(value: unknown): boolean {
  return isObject(value) && value.type === 'string' && Object.keys(value).length === 1;
}

function hasType(node: JsonSchemaObject): boolean {
  return ['type', 'anyOf', 'allOf', '$ref', 'enum', 'const', 'not'].some((k) => k in node);
}

/**
 * The first reason OpenAI's strict mode cannot describe the schema, or `undefined`: a node that
 * accepts any value, or an object open to extra keys (strict mode needs `additionalProperties: false`
 * everywhere; the SDK lets some open objects through, which the API then rejects).
 */
function strictProblem(node: unknown, at: string): string | undefined {
  if (node === true || (isObject(node) && !hasType(node))) {
    return `${at} accepts any value (z.any(), z.unknown(), or a type JSON Schema cannot express such as z.date())`;
  }
  if (!isObject(node)) return undefined;
  if ((node.type === 'object' || isObject(node.properties)) && node.additionalProperties !== false) {
    return `${at} allows extra keys (z.record(), z.looseObject() or .catchall())`;
  }
  const children: Array<[unknown, string]> = [];
  if (isObject(node.properties)) {
    for (const [name, child] of Object.entries(node.properties)) children.push([child, `${at}.${name}`]);
  }
  if (node.items !== undefined) children.push([node.items, `${at}[]`]);
  for (const key of ['anyOf', 'allOf'] as const) {
    const branches = node[key];
    if (!Array.isArray(branches)) continue;
    for (const [i, branch] of branches.entries()) children.push([branch, `${at}(option ${i + 1})`]);
  }
  for (const defs of [node.$defs, node.definitions]) {
    if (isObject(defs)) for (const [name, def] of Object.entries(defs)) children.push([def, `$defs.${name}`]);
  }
  for (const [child, path] of children) {
    const problem = strictProblem(child, path);
    if (problem) return problem;
  }
  return undefined;
}
