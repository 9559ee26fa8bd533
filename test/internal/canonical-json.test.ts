import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson } from '../../src/internal/canonical-json.js';

/** The reference: a plain recursive writer with keys sorted by code unit at every depth. */
function reference(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(reference).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const keys = Object.keys(value).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${reference((value as Record<string, unknown>)[k])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

/** Objects with the same entries in another key order. */
function shuffled(value: unknown, seed: number): unknown {
  if (Array.isArray(value)) return value.map((item, i) => shuffled(item, seed + i));
  if (typeof value === 'object' && value !== null) {
    const entries = Object.entries(value);
    const rotated = entries.map((_, i) => entries[(i + seed) % entries.length]!);
    return Object.fromEntries(rotated.reverse().map(([k, v], i) => [k, shuffled(v, seed + i)]));
  }
  return value;
}

describe('canonicalJson', () => {
  it('is JSON.stringify of the value with keys sorted at every depth (flat and nested values)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(canonicalJson(value)).toBe(reference(value));
      }),
      { numRuns: 500 },
    );
  });

  it('does not depend on key order', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.nat(10), (value, seed) => {
        expect(canonicalJson(shuffled(value, seed))).toBe(canonicalJson(value));
      }),
      { numRuns: 300 },
    );
  });

  it('drops what JSON drops, and writes null where JSON does', () => {
    const fn = () => 1;
    expect(canonicalJson({ b: undefined, a: fn, c: Symbol('s'), d: 1 })).toBe('{"d":1}');
    expect(canonicalJson({ z: { b: undefined, a: 1 }, y: [undefined, fn, Number.NaN, Infinity] })).toBe(
      '{"y":[null,null,null,null],"z":{"a":1}}',
    );
    expect(canonicalJson({ n: Number.NaN, m: -0, i: -Infinity })).toBe('{"i":null,"m":0,"n":null}');
    expect(canonicalJson(undefined)).toBe('null');
  });

  it('uses toJSON, like JSON.stringify', () => {
    const date = new Date('2026-01-02T03:04:05.000Z');
    expect(canonicalJson({ b: date, a: { toJSON: () => ({ y: 2, x: 1 }) } })).toBe(
      '{"a":{"x":1,"y":2},"b":"2026-01-02T03:04:05.000Z"}',
    );
  });

  it('escapes keys and strings as JSON does, and sorts keys by code unit', () => {
    expect(canonicalJson({ é: '"', b: '\n', B: '\u2028', '10': 1, '9': 2, '': 0 })).toBe(
      '{"":0,"10":1,"9":2,"B":"\u2028","b":"\\n","é":"\\""}',
    );
  });

  it('keeps integer-like and __proto__ keys in code-unit order, as own keys', () => {
    const flat = JSON.parse('{"b":1,"__proto__":2,"10":3,"9":4,"a":null}') as Record<string, unknown>;
    expect(canonicalJson(flat)).toBe('{"10":3,"9":4,"__proto__":2,"a":null,"b":1}');
    expect(canonicalJson({ x: flat })).toBe('{"x":{"10":3,"9":4,"__proto__":2,"a":null,"b":1}}');
  });

  it('throws TypeError on cycles and BigInt, flat or nested', () => {
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    expect(() => canonicalJson(cyclic)).toThrow(TypeError);
    const deep: unknown[] = [];
    deep.push({ inner: deep });
    expect(() => canonicalJson(deep)).toThrow(TypeError);
    expect(() => canonicalJson({ a: 1n })).toThrow(TypeError);
    expect(() => canonicalJson({ a: { b: 1n } })).toThrow(TypeError);
  });

  it('serialises the same object twice in siblings (a repeat is not a cycle)', () => {
    const shared = { x: 1 };
    expect(canonicalJson({ a: shared, b: [shared, shared] })).toBe('{"a":{"x":1},"b":[{"x":1},{"x":1}]}');
  });
});
