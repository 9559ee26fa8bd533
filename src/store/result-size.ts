import { sha256Hex } from '../internal/hash.js';
import type { IdempotencyRecord } from './types.js';

/** Largest idempotency result a store keeps in full, in bytes of JSON (UTF-8): 256 KiB. */
export const DEFAULT_MAX_RESULT_BYTES = 262_144;

/**
 * The record to keep for an idempotency result. When the JSON of the result (`value` for `ok`,
 * `error` for `error`) is larger than `maxBytes`, only its SHA-256 digest and size are kept
 * (`oversized: true`): the call then replays as "completed, result unavailable", never runs again.
 *
 * A result that JSON cannot represent (a cycle, a BigInt) is returned unchanged: a store that must
 * serialise it fails on its own, before anything is written.
 */
export function boundRecord(record: IdempotencyRecord, maxBytes: number): IdempotencyRecord {
  const result = record.outcome === 'ok' ? record.value : record.error;
  let json: string | undefined;
  try {
    json = JSON.stringify(result);
  } catch {
    return record;
  }
  if (json === undefined) return record;
  const size = Buffer.byteLength(json, 'utf8');
  if (size <= maxBytes) return record;
  return {
    outcome: record.outcome,
    completedAt: record.completedAt,
    oversized: true,
    digest: sha256Hex(json),
    size,
  };
}

/** Checks a `maxResultBytes` option; returns an error message, or undefined when it is valid. */
export function maxResultBytesProblem(value: unknown): string | undefined {
  return Number.isInteger(value) && (value as number) > 0
    ? undefined
    : `must be a positive integer number of bytes, got ${String(value)}`;
}

/**
 * {@link boundRecord}, returned as the JSON text of the record to keep — the copy a store keeps, made
 * with the serialisation the size check needs anyway. `undefined` when JSON cannot represent the
 * result (a cycle, a BigInt): the caller keeps a structured clone instead.
 */
export function boundRecordText(record: IdempotencyRecord, maxBytes: number): string | undefined {
  const result = record.outcome === 'ok' ? record.value : record.error;
  let json: string | undefined;
  try {
    json = JSON.stringify(result);
  } catch {
    return undefined;
  }
  // A UTF-16 code unit is at most 3 bytes of UTF-8: count the bytes only when that bound is too high.
  if (json !== undefined && json.length * 3 > maxBytes && Buffer.byteLength(json, 'utf8') > maxBytes) {
    return JSON.stringify(boundRecord(record, maxBytes));
  }
  const ok = record.outcome === 'ok';
  const head = `{"outcome":${ok ? '"ok"' : '"error"'},"completedAt":${JSON.stringify(record.completedAt)}`;
  if (json === undefined) return `${head}}`;
  return `${head},${ok ? '"value"' : '"error"'}:${json}}`;
}
