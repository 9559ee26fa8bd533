import type { Clock } from '../internal/clock.js';
import type { AuditEvent, AuditEventBody, AuditSink } from './types.js';

/** Who an event is about. */
export interface EventIdentity {
  runId?: string;
  userId?: string;
  tenantId?: string;
  sessionId?: string;
  traceId?: string;
}

/**
 * Numbers events, stamps them, and hands them to `onEvent` and the audit sink.
 * A failing sink or listener never throws into a run, except through
 * `emitStrict`, which write-tool intents use to fail closed.
 */
export class AuditEmitter {
  #seq = 0;
  #failures = 0;
  readonly #sink: AuditSink | undefined;
  readonly #onEvent: ((event: AuditEvent) => void) | undefined;
  readonly #clock: Clock;
  readonly #onSinkError: (error: unknown, event: AuditEvent) => void;

  constructor(options: {
    sink: AuditSink | undefined;
    onEvent: ((event: AuditEvent) => void) | undefined;
    clock: Clock;
    onSinkError?: (error: unknown, event: AuditEvent) => void;
  }) {
    this.#sink = options.sink;
    this.#onEvent = options.onEvent;
    this.#clock = options.clock;
    this.#onSinkError = options.onSinkError ?? (() => {});
  }

  /** Sink writes that failed so far. */
  get failures(): number {
    return this.#failures;
  }

  get hasSink(): boolean {
    return this.#sink !== undefined;
  }

  /** True when anything receives events (a sink or `onEvent`); callers may skip building events otherwise. */
  get active(): boolean {
    return this.#sink !== undefined || this.#onEvent !== undefined;
  }

  /** True when the sink asked for content (arguments, results, model responses). */
  get wantsContent(): boolean {
    return this.#sink?.content === true;
  }

  /**
   * Emit an event; sink failures are counted and reported, never thrown.
   * `content` (arguments, results, responses) is added only for a sink that
   * asked for it with `content: true`; `onEvent` never receives it.
   */
  emit(
    identity: EventIdentity | undefined,
    body: AuditEventBody,
    content?: () => Record<string, unknown>,
  ): AuditEvent {
    const event = this.#build(identity, body);
    this.#notify(event);
    if (this.#sink) {
      try {
        const full =
          content && this.#sink.content === true
            ? (Object.freeze({ ...event, content: content() }) as AuditEvent)
            : event;
        const written = this.#sink.write(full);
        if (written && typeof (written as Promise<void>).then === 'function') {
          (written as Promise<void>).then(undefined, (error: unknown) => this.#failed(error, event));
        }
      } catch (error) {
        this.#failed(error, event);
      }
    }
    return event;
  }

  /**
   * Emit an event and wait until the sink has it; rejects (or throws) when the sink fails. Without a sink
   * there is nothing to wait for, and nothing is returned to await.
   */
  emitStrict(identity: EventIdentity | undefined, body: AuditEventBody): Promise<void> | undefined {
    const event = this.#build(identity, body);
    this.#notify(event);
    const sink = this.#sink;
    if (!sink) return undefined;
    let written: Promise<void> | void;
    try {
      written = sink.write(event);
    } catch (error) {
      this.#failed(error, event);
      throw error;
    }
    if (!written || typeof (written as Promise<void>).then !== 'function') return undefined;
    return Promise.resolve(written).then(undefined, (error: unknown) => {
      this.#failed(error, event);
      throw error;
    });
  }

  #build(identity: EventIdentity | undefined, body: AuditEventBody): AuditEvent {
    const event: Record<string, unknown> = { seq: ++this.#seq, ts: this.#clock.now() };
    if (identity) {
      for (const key of ['runId', 'userId', 'tenantId', 'sessionId', 'traceId'] as const) {
        if (identity[key] !== undefined) event[key] = identity[key];
      }
    }
    return Object.freeze(Object.assign(event, body)) as unknown as AuditEvent;
  }

  #notify(event: AuditEvent): void {
    if (!this.#onEvent) return;
    try {
      this.#onEvent(event);
    } catch {
      // A listener's bug must not change what the guard decides.
    }
  }

  #failed(error: unknown, event: AuditEvent): void {
    this.#failures++;
    try {
      this.#onSinkError(error, event);
    } catch {
      // ignore
    }
  }
}
