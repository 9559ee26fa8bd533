/**
 * Canonical JSON: object keys sorted at every depth, no whitespace, so that
 * `{"a":1,"b":2}` and `{"b":2,"a":1}` serialise to the same text.
 * Values that JSON cannot represent (functions, symbols, undefined in objects)
 * are dropped as `JSON.stringify` drops them; `undefined` in arrays becomes null.
 * Throws `TypeError` on cycles and BigInt, like `JSON.stringify`.
 */
export function canonicalJson(value: unknown): string {
  const out = serialise(value, []);
  return out === undefined ? 'null' : out;
}

/** `ancestors` holds the objects being serialised above this one (a cycle brings one back). */
function serialise(value: unknown, ancestors: object[]): string | undefined {
  switch (typeof value) {
    case 'string':
      return JSON.stringify(value);
    case 'number':
      return Number.isFinite(value) ? `${value}` : 'null';
    case 'boolean':
      return value ? 'true' : 'false';
    case 'bigint':
      throw new TypeError('canonicalJson: BigInt values cannot be serialised');
    case 'undefined':
    case 'function':
    case 'symbol':
      return undefined;
  }
  if (value === null) return 'null';
  const obj = value as object;
  if (typeof (obj as { toJSON?: unknown }).toJSON === 'function') {
    return serialise((obj as { toJSON(): unknown }).toJSON(), ancestors);
  }
  if (ancestors.includes(obj)) throw new TypeError('canonicalJson: cyclic structure');
  ancestors.push(obj);
  let out: string;
  if (Array.isArray(obj)) {
    out = '[';
    for (let i = 0; i < obj.length; i++) {
      if (i > 0) out += ',';
      out += serialise(obj[i], ancestors) ?? 'null';
    }
    out += ']';
  } else {
    const keys = sortedKeys(obj);
    if (isFlat(obj as Record<string, unknown>, keys)) {
      ancestors.pop();
      return flatJson(obj as Record<string, unknown>, keys);
    }
    out = '{';
    let first = true;
    for (const key of keys) {
      const item = serialise((obj as Record<string, unknown>)[key], ancestors);
      if (item === undefined) continue;
      out += first ? `${JSON.stringify(key)}:${item}` : `,${JSON.stringify(key)}:${item}`;
      first = false;
    }
    out += '}';
  }
  ancestors.pop();
  return out;
}

/** Own enumerable string keys in code-unit order (insertion sort for the usual handful of keys). */
function sortedKeys(obj: object): string[] {
  const keys = Object.keys(obj);
  const n = keys.length;
  if (n > 16) return keys.sort();
  for (let i = 1; i < n; i++) {
    const key = keys[i]!;
    let j = i - 1;
    while (j >= 0 && keys[j]! > key) {
      keys[j + 1] = keys[j]!;
      j--;
    }
    keys[j + 1] = key;
  }
  return keys;
}

/**
 * A flat object (no nested objects) as canonical JSON. Copied into a fresh object in sorted key
 * order, `JSON.stringify` writes it natively — unless a key would not keep its place: an integer-like
 * key (objects list those first, in numeric order) or `__proto__` (an assignment sets the prototype).
 * Those go through the same key-by-key writer as nested objects.
 */
function flatJson(obj: Record<string, unknown>, keys: readonly string[]): string {
  const copy: Record<string, unknown> = {};
  for (const key of keys) {
    const first = key.charCodeAt(0);
    if ((first >= 48 && first <= 57) || key === '__proto__') return flatJsonByKey(obj, keys);
    copy[key] = obj[key];
  }
  return JSON.stringify(copy);
}

function flatJsonByKey(obj: Record<string, unknown>, keys: readonly string[]): string {
  let out = '{';
  let first = true;
  for (const key of keys) {
    const item = serialise(obj[key], []);
    if (item === undefined) continue;
    out += first ? `${JSON.stringify(key)}:${item}` : `,${JSON.stringify(key)}:${item}`;
    first = false;
  }
  return `${out}}`;
}

/** True when no value under `keys` is an object or array (null is fine): nothing nested to sort. */
function isFlat(obj: Record<string, unknown>, keys: readonly string[]): boolean {
  for (const key of keys) {
    const value = obj[key];
    if (typeof value === 'object' && value !== null) return false;
  }
  return true;
}
