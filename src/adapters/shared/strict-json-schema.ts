/**
 * A warden tool's zod input as the JSON Schema an OpenAI model sees, and whether OpenAI strict mode
 * (Structured Outputs) can take it. Used by the `openai` adapter, which sends the schema as it is,
 * and the `openai-agents` adapter, whose SDK converts it to strict mode itself. The warden validates
 * every call against the zod schema either way: the JSON Schema is only what the model is shown.
 */
import { z } from 'zod';
import { type AnyTool, WardenConfigError } from '../../index.js';

/** A JSON Schema object, as OpenAI function tools take their parameters. */
export type JsonSchemaObject = { [key: string]: unknown };

export function isSchemaObject(value: unknown): value is JsonSchemaObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** Options of {@link modelJsonSchema}. */
export interface ModelJsonSchemaOptions {
  /** Drop the string formats strict mode does not know (a hint to the model only). @default false */
  strictFormatsOnly?: boolean;
}

/** String formats strict mode accepts. */
const STRICT_FORMATS = new Set([
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

/** Keywords strict mode rejects. */
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

/** Keywords whose value is data, not a schema. */
const DATA_KEYWORDS = new Set(['enum', 'const', 'default', 'examples', 'required']);
/** Keywords whose value maps names to schemas. */
const SCHEMA_MAPS = new Set(['properties', '$defs', 'definitions']);

/**
 * The JSON Schema of `tool`'s zod input (`io: 'input'`, an unrepresentable type accepting any
 * value), without `$schema` and shaped for the model: `oneOf` (discriminated unions) becomes
 * `anyOf`, the `propertyNames: { type: 'string' }` of string-keyed records is dropped (every JSON key
 * is a string), and objects that strip unknown keys (zod's default) are closed with
 * `additionalProperties: false`. It is a deep copy in plain objects, without zod's non-enumerable
 * `~standard` marker (which would make the Agents SDK validate with it).
 *
 * @throws WardenConfigError at `${fn}.${tool.name}.input` when zod cannot express the schema.
 */
export function modelJsonSchema(
  tool: AnyTool,
  fn: string,
  options: ModelJsonSchemaOptions = {},
): JsonSchemaObject {
  let raw: JsonSchemaObject;
  try {
    raw = z.toJSONSchema(tool.input as z.ZodType, {
      io: 'input',
      unrepresentable: 'any',
    }) as JsonSchemaObject;
  } catch (error) {
    throw new WardenConfigError({
      path: `${fn}.${tool.name}.input`,
      message: `its zod schema cannot be expressed as JSON Schema (${(error as Error).message})`,
      cause: error,
    });
  }
  const { $schema: _ignored, ...rest } = raw;
  return normalize(rest, options.strictFormatsOnly === true) as JsonSchemaObject;
}

function normalize(node: unknown, strictFormatsOnly: boolean): unknown {
  if (Array.isArray(node)) return node.map((item) => normalize(item, strictFormatsOnly));
  if (!isSchemaObject(node)) return node;
  const out: JsonSchemaObject = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'propertyNames' && isStringKeys(value)) continue;
    if (key === 'format' && strictFormatsOnly && typeof value === 'string' && !STRICT_FORMATS.has(value)) {
      continue;
    }
    if (key === 'oneOf') out.anyOf = normalize(value, strictFormatsOnly);
    else if (DATA_KEYWORDS.has(key)) out[key] = structuredClone(value);
    else if (SCHEMA_MAPS.has(key) && isSchemaObject(value)) {
      out[key] = Object.fromEntries(
        Object.entries(value).map(([k, v]) => [k, normalize(v, strictFormatsOnly)]),
      );
    } else out[key] = normalize(value, strictFormatsOnly);
  }
  if ((out.type === 'object' || isSchemaObject(out.properties)) && !('additionalProperties' in out)) {
    out.additionalProperties = false;
  }
  return out;
}

/** `{ type: 'string' }`: what every JSON object key already is. */
function isStringKeys(value: unknown): boolean {
  return isSchemaObject(value) && value.type === 'string' && Object.keys(value).length === 1;
}

function hasType(node: JsonSchemaObject): boolean {
  return ['type', 'anyOf', 'allOf', '$ref', 'enum', 'const', 'not'].some((k) => k in node);
}

/**
 * How a schema reaches strict mode. `'as-is'`: it is sent as it is, so every strict-mode rule
 * applies (an object at the root, no unsupported keyword, every property required). `'sdk-converted'`:
 * the Agents SDK converts it (optional properties become required and nullable; what it cannot
 * convert it rejects), so only what the conversion lets through and the API then rejects is checked.
 */
export type StrictSchemaMode = 'as-is' | 'sdk-converted';

/**
 * The first reason OpenAI's strict mode cannot take `schema` (the tool's arguments), or `undefined`.
 * Everywhere: a node that accepts any value, or an object open to extra properties (strict mode
 * needs `additionalProperties: false` on every object).
 */
export function strictProblem(schema: JsonSchemaObject, mode: StrictSchemaMode): string | undefined {
  const asIs = mode === 'as-is';
  if (asIs) {
    if (schema.type !== 'object') return 'the arguments are not described as one JSON object';
    if ('anyOf' in schema) return 'the arguments are a union (anyOf) at the root';
  }
  return check(schema, 'arguments', asIs);
}

function check(node: unknown, at: string, asIs: boolean): string | undefined {
  if (node === true || (isSchemaObject(node) && !hasType(node))) {
    return `${at} accepts any value (z.any(), z.unknown(), or a type JSON Schema cannot express such as z.date())`;
  }
  if (!isSchemaObject(node)) return node === false ? undefined : `${at} is not a schema`;
  if (asIs) {
    for (const key of Object.keys(node)) {
      if (UNSUPPORTED.has(key)) return `${at} uses '${key}', which strict mode does not support`;
    }
  }
  if (node.type === 'object' || isSchemaObject(node.properties)) {
    if (node.additionalProperties !== false) {
      return `${at} allows extra properties (z.record(), z.looseObject() or .catchall())`;
    }
    const properties = isSchemaObject(node.properties) ? node.properties : {};
    const required = new Set(Array.isArray(node.required) ? node.required : []);
    for (const [name, child] of Object.entries(properties)) {
      if (asIs && !required.has(name)) {
        return `${at}.${name} is optional; strict mode needs every property required (use .nullable() instead of .optional() or .default())`;
      }
      const problem = check(child, `${at}.${name}`, asIs);
      if (problem) return problem;
    }
  }
  const children: Array<[unknown, string]> = [];
  if ('items' in node) children.push([node.items, `${at}[]`]);
  for (const key of ['anyOf', 'allOf'] as const) {
    const branches = node[key];
    if (!Array.isArray(branches)) continue;
    for (const [i, branch] of branches.entries()) children.push([branch, `${at}(option ${i + 1})`]);
  }
  for (const defs of [node.$defs, node.definitions]) {
    if (isSchemaObject(defs))
      for (const [name, def] of Object.entries(defs)) children.push([def, `$defs.${name}`]);
  }
  for (const [child, path] of children) {
    const problem = check(child, path, asIs);
    if (problem) return problem;
  }
  return undefined;
}
