import type { BudgetItem, BudgetWindow } from '../store/types.js';

/** Argument checks and value encodings shared by the Redis store's operations. */

const WINDOWS: ReadonlySet<string> = new Set<BudgetWindow>(['hour', 'day', 'week', 'month', 'total']);

/** One budget scope's part of a reserve, settle or usage request. */
export interface TagGroup {
  tag: string;
  /** Positions of the group's items in the request. */
  indices: number[];
  counters: string[];
  windows: BudgetWindow[];
}

/** Items grouped by budget scope (hash tag), in order of first appearance. */
export function groupByTag(
  entries: Array<{ tag: string; counter: string; window: BudgetWindow }>,
): TagGroup[] {
  const groups = new Map<string, TagGroup>();
  for (const [index, { tag, counter, window }] of entries.entries()) {
    let group = groups.get(tag);
    if (!group) {
      group = { tag, indices: [], counters: [], windows: [] };
      groups.set(tag, group);
    }
    group.indices.push(index);
    group.counters.push(counter);
    group.windows.push(window);
  }
  return [...groups.values()];
}

export function parseRecord<T>(raw: string): { value: T; version: number } {
  const cut = raw.indexOf(':');
  return { version: Number(raw.slice(0, cut)), value: JSON.parse(raw.slice(cut + 1)) as T };
}

/** Records are stored as JSON; a value JSON cannot represent is refused before anything is written. */
export function toJson(value: unknown): string {
  const json = JSON.stringify(value);
  if (json === undefined)
    throw new Error(`redisStore: a record must be JSON-serialisable, got ${typeof value}`);
  return json;
}

export function encodeLimit(limit: number): string {
  if (Number.isFinite(limit)) return String(limit);
  return limit > 0 ? 'inf' : '-inf';
}

export function fenceText(fence: number): string {
  return Number.isSafeInteger(fence) ? String(fence) : 'invalid';
}

export function checkWindow(window: unknown): void {
  if (typeof window !== 'string' || !WINDOWS.has(window)) {
    throw new Error(`redisStore: unknown budget window ${JSON.stringify(window)}`);
  }
}

export function checkItem(item: BudgetItem): void {
  nonNegative('amount', item.amount);
  checkWindow(item.window);
  if (typeof item.limit !== 'number' || Number.isNaN(item.limit)) {
    throw new Error(`redisStore: limit must be a number, got ${String(item.limit)}`);
  }
}

/** A positive duration, rounded up to whole milliseconds (Redis counts in ms). */
export function durationMs(name: string, ms: number): number {
  if (typeof ms !== 'number' || !Number.isFinite(ms) || ms <= 0) {
    throw new Error(`redisStore: ${name} must be a positive number of milliseconds, got ${String(ms)}`);
  }
  return Math.ceil(ms);
}

export function nonNegative(name: string, value: number): void {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new Error(`redisStore: ${name} must be a finite number >= 0, got ${String(value)}`);
  }
}
