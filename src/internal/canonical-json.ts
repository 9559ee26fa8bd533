/**
 * Canonical JSON: object keys sorted at every depth, no whitespace, so that
 * `{"a":1,"b":2}` and `{"b":2,"a":1}` serialise to the same text.
 * Values that JSON cannot represent (functions, symbols, undefined in objects)
 * are dropped as `JSON.stringify` drops them; `undefined` in arrays becomes null.
 * Throws `TypeError` on cycles and BigInt, like `JSON.stringify`.
 */
export function canonicalJson(value: unknown): string {
  const out = serialise(value, new Set());
  return out === undefined ? 'null' : out;
}

function serialise(value: unknown, seen: Set<object>): string | undefined {
  if (value === null) return 'null';
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('canonicalJson: BigInt values cannot be serialised');
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  const obj = value as object;
  if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') {
    return serialise((obj as { toJSON(): unknown }).toJSON(), seen);
  }
  if (seen.has(obj)) throw new TypeError('canonicalJson: cyclic structure');
  seen.add(obj);
  try {
    if (Array.isArray(obj)) {
      return `[${obj.map((item) => serialise(item, seen) ?? 'null').join(',')}]`;
    }
    const keys = Object.keys(obj).sort();
    const parts: string[] = [];
    for (const key of keys) {
      const item = serialise((obj as Record<string, unknown>)[key], seen);
      if (item !== undefined) parts.push(`${JSON.stringify(key)}:${item}`);
    }
    return `{${parts.join(',')}}`;
  } finally {
    seen.delete(obj);
  }
}
