import { WardenConfigError } from '../errors.js';
import type { AuditEvent, AuditEventType, AuditSink } from './types.js';

export interface MemoryAuditOptions {
  /**
   * How many events to keep. When more are written, the oldest are dropped.
   * @default 10_000
   */
  max?: number;
}

/** An audit sink that keeps the most recent events in memory, for tests and debugging. */
export interface MemoryAudit extends AuditSink {
  write(event: AuditEvent): void;
  /** The kept events, oldest first (a frozen snapshot). */
  readonly events: readonly AuditEvent[];
  /** The kept events of one type, oldest first. */
  ofType<T extends AuditEventType>(type: T): Array<Extract<AuditEvent, { type: T }>>;
  /** Drop every kept event. */
  clear(): void;
}

const DEFAULT_MAX = 10_000;

/**
 * An in-memory audit sink: a ring buffer of the last `max` events (O(1) per
 * write). Each event is stored as a frozen shallow copy, so later changes to
 * the object the warden passed in do not change the record.
 *
 * @example
 * const audit = memoryAudit();
 * const warden = createWarden({ audit });
 * // ... run ...
 * expect(audit.ofType('tool_call')).toHaveLength(1);
 */
export function memoryAudit(options: MemoryAuditOptions = {}): MemoryAudit {
  const max = options.max ?? DEFAULT_MAX;
  if (!Number.isSafeInteger(max) || max < 1) {
    throw new WardenConfigError({
      path: 'memoryAudit.max',
      message: `must be a positive integer (got ${String(max)})`,
    });
  }

  // `ring` grows to `max`, then `start` marks the oldest entry and is overwritten next.
  const ring: AuditEvent[] = [];
  let start = 0;

  const snapshot = (): AuditEvent[] =>
    start === 0 ? ring.slice() : [...ring.slice(start), ...ring.slice(0, start)];

  return {
    write(event) {
      const record = Object.freeze({ ...event });
      if (ring.length < max) {
        ring.push(record);
      } else {
        ring[start] = record;
        start = (start + 1) % max;
      }
    },
    get events() {
      return Object.freeze(snapshot());
    },
    ofType<T extends AuditEventType>(type: T) {
      return snapshot().filter((event): event is Extract<AuditEvent, { type: T }> => event.type === type);
    },
    clear() {
      ring.length = 0;
      start = 0;
    },
  };
}
