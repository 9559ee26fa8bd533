import {
  type Attributes,
  type Context,
  isSpanContextValid,
  type Span,
  SpanKind,
  SpanStatusCode,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import { ATTR } from './attributes.js';

export interface SpanHandle {
  readonly span: Span;
  /** The context with this span active: pass it as the parent of child spans (made on first use). */
  readonly context: Context;
  /**
   * False when there is no trace at all: a span that records nothing and carries no valid trace id (no
   * tracer, and no traced parent to propagate). Then nothing needs this span made active.
   */
  readonly traced: boolean;
  /** Mark the span failed with `error.type` (an outcome or stop code, or an error class). */
  fail(errorType: string, message?: string, exception?: unknown): void;
  /** End the span (idempotent). */
  end(): void;
}

/**
 * Start a span under an explicit parent context. Children are linked through
 * the returned `context`, so nesting works without a global context manager.
 * This and `withSpan` are the only places the library starts spans.
 */
export function startSpan(
  tracer: Tracer,
  name: string,
  kind: SpanKind,
  attributes: Attributes,
  parent: Context,
): SpanHandle {
  return new Handle(tracer.startSpan(name, { kind, attributes }, parent), parent);
}

class Handle implements SpanHandle {
  readonly span: Span;
  readonly traced: boolean;
  readonly #parent: Context;
  #context: Context | undefined;
  #ended = false;
  #failed = false;

  constructor(span: Span, parent: Context) {
    this.span = span;
    this.#parent = parent;
    this.traced = span.isRecording() || isSpanContextValid(span.spanContext());
  }

  get context(): Context {
    this.#context ??= trace.setSpan(this.#parent, this.span);
    return this.#context;
  }

  fail(errorType: string, message?: string, exception?: unknown): void {
    if (this.#ended) return;
    this.#failed = true;
    const span = this.span;
    span.setAttribute(ATTR.ERROR_TYPE, errorType);
    span.setStatus({ code: SpanStatusCode.ERROR, message: message ?? errorType });
    if (exception instanceof Error) span.recordException(exception);
  }

  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    if (!this.#failed) this.span.setStatus({ code: SpanStatusCode.OK });
    this.span.end();
  }
}

/**
 * Run `fn` inside a span that ends on success and on error; a thrown error
 * sets status ERROR, `error.type` (the error's `code` or class name) and
 * records the exception.
 */
export async function withSpan<T>(
  tracer: Tracer,
  name: string,
  kind: SpanKind,
  attributes: Attributes,
  parent: Context,
  fn: (handle: SpanHandle) => Promise<T>,
): Promise<T> {
  const handle = startSpan(tracer, name, kind, attributes, parent);
  try {
    return await fn(handle);
  } catch (error) {
    handle.fail(errorTypeOf(error), error instanceof Error ? error.message : String(error), error);
    throw error;
  } finally {
    handle.end();
  }
}

/** `error.type` for a thrown value: a WardenError's code, else the class name. */
export function errorTypeOf(error: unknown): string {
  if (typeof error === 'object' && error !== null) {
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' && code.length > 0 && code.length <= 64) return code;
    const name = (error as { name?: unknown }).name;
    if (typeof name === 'string' && name.length > 0) return name;
  }
  return '_OTHER';
}

export { SpanKind };
