/**
 * What each tool attempt needs to be bounded — a time-out, an end when the run stops, and an
 * `AbortSignal` for the tool — made cheap enough to sit on every call:
 *
 * - one timer per warden ({@link Deadlines}) instead of a `setTimeout` / `clearTimeout` pair per
 *   attempt: deadlines wait in first-in-first-out queues, one per time-out length, so a queue's head
 *   is always its earliest deadline;
 * - the run ends its in-flight attempts itself ({@link Attempt.abort}), instead of one `abort`
 *   listener per attempt on the run's signal;
 * - the attempt's `AbortSignal` is its own controller's, aborted by those two (no `AbortSignal.any`,
 *   whose weak references cost more than the rest of the attempt).
 */

/** A deadline waiting in {@link Deadlines}. */
interface Deadline {
  readonly at: number;
  /** Cleared once the attempt has settled (the entry is then skipped, and dropped lazily). */
  attempt: Attempt | null;
}

interface Queue {
  items: Deadline[];
  head: number;
}

/** Settled entries are dropped in bulk once there are more of them than this (and than pending ones). */
const MIN_COMPACTION = 1024;

/** Monotonic milliseconds: time-outs must not move with the wall clock. */
const now = () => performance.now();

/**
 * Time-outs of tool attempts, on one timer. The timer is kept armed while any deadline is pending and
 * `unref`'d when none is (so a finished workload never holds the process open), and it is re-armed
 * only when it fires or when a deadline earlier than the armed one arrives.
 */
export class Deadlines {
  readonly #queues = new Map<number, Queue>();
  #timer: ReturnType<typeof setTimeout> | undefined;
  /** When the armed timer fires (monotonic ms). */
  #armedAt = Number.POSITIVE_INFINITY;
  #pending = 0;
  /** Settled entries still queued behind a pending one (dropped in bulk, see `settled`). */
  #dead = 0;
  #closed = false;

  /** Abort `attempt` with an `AttemptTimeout` unless it settles within `timeoutMs`. */
  add(attempt: Attempt, timeoutMs: number): Deadline {
    const deadline: Deadline = { at: now() + timeoutMs, attempt };
    let queue = this.#queues.get(timeoutMs);
    if (!queue) {
      queue = { items: [], head: 0 };
      this.#queues.set(timeoutMs, queue);
    }
    queue.items.push(deadline);
    this.#pending += 1;
    if (this.#closed) return deadline;
    if (deadline.at < this.#armedAt) this.#arm(deadline.at);
    else if (this.#pending === 1) this.#timer?.ref();
    return deadline;
  }

  /** The attempt settled: its deadline no longer matters. */
  settled(deadline: Deadline): void {
    if (deadline.attempt === null) return;
    deadline.attempt = null;
    this.#pending -= 1;
    if (this.#pending > 0) {
      // Behind a pending attempt (a hung tool), settled entries would pile up until its deadline:
      // drop them once they outnumber the pending ones (amortised O(1) per attempt).
      this.#dead += 1;
      if (this.#dead > MIN_COMPACTION && this.#dead > this.#pending) this.#compact();
      return;
    }
    // Nothing is pending: every queued entry is dead, so the queues can be emptied at once.
    for (const queue of this.#queues.values()) {
      queue.items.length = 0;
      queue.head = 0;
    }
    this.#dead = 0;
    this.#timer?.unref();
  }

  #compact(): void {
    for (const [timeoutMs, queue] of this.#queues) {
      const live = queue.items.slice(queue.head).filter((d) => d.attempt !== null);
      if (live.length === 0) this.#queues.delete(timeoutMs);
      else this.#queues.set(timeoutMs, { items: live, head: 0 });
    }
    this.#dead = 0;
  }

  /** @internal Deadlines not yet settled or fired. */
  get pending(): number {
    return this.#pending;
  }

  /** @internal Entries held in the queues, settled ones included until they are dropped. */
  get queued(): number {
    let n = 0;
    for (const queue of this.#queues.values()) n += queue.items.length - queue.head;
    return n;
  }

  /** @internal True when the timer keeps the process alive (only while a deadline is pending). */
  get holdsProcess(): boolean {
    return this.#timer?.hasRef() ?? false;
  }

  /** Clear the timer (`warden.close()`); pending attempts end with their run. */
  close(): void {
    this.#closed = true;
    if (this.#timer) clearTimeout(this.#timer);
    this.#timer = undefined;
    this.#armedAt = Number.POSITIVE_INFINITY;
  }

  #arm(at: number): void {
    if (this.#timer) clearTimeout(this.#timer);
    this.#armedAt = at;
    // Never early: a timer may fire up to a millisecond before performance.now() reaches `at`.
    this.#timer = setTimeout(() => this.#fire(), Math.max(1, Math.ceil(at - now())));
    // Not unref'd while an attempt waits: a hung tool must end in tool_timeout, not let the process exit.
    if (this.#pending === 0) this.#timer.unref();
  }

  #fire(): void {
    this.#timer = undefined;
    this.#armedAt = Number.POSITIVE_INFINITY;
    const t = now();
    let next = Number.POSITIVE_INFINITY;
    const due: Attempt[] = [];
    for (const [timeoutMs, queue] of this.#queues) {
      const { items } = queue;
      while (queue.head < items.length) {
        const deadline = items[queue.head]!;
        if (deadline.attempt !== null && deadline.at > t) break;
        queue.head += 1;
        if (deadline.attempt !== null) {
          due.push(deadline.attempt);
          deadline.attempt = null;
          this.#pending -= 1;
        } else if (this.#dead > 0) {
          this.#dead -= 1;
        }
      }
      // Drop what was consumed once it is most of the array (amortised O(1) per deadline).
      if (queue.head === items.length) {
        this.#queues.delete(timeoutMs);
      } else {
        if (queue.head > 1024 && queue.head * 2 > items.length) {
          queue.items = items.slice(queue.head);
          queue.head = 0;
        }
        next = Math.min(next, queue.items[queue.head]!.at);
      }
    }
    if (!this.#closed && next !== Number.POSITIVE_INFINITY) this.#arm(next);
    for (const attempt of due) attempt.timedOut();
  }
}

/** The reason an attempt's signal is aborted when its `timeoutMs` passes. */
export class AttemptTimeout extends Error {
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super(`tool attempt timed out after ${timeoutMs} ms`);
    this.name = 'AttemptTimeout';
    this.timeoutMs = timeoutMs;
  }
}

/** Where a run keeps its attempts in flight, to end them when it stops. */
export interface AttemptOwner {
  readonly inFlight: Set<Attempt>;
}

/**
 * One attempt of a tool's `execute`: settles with the tool's result, or rejects at its time-out
 * (`AttemptTimeout`) or when its run stops (the run's `RunStop`), whichever comes first — so a tool
 * that ignores its signal cannot hold the guard.
 */
export class Attempt {
  readonly promise: Promise<unknown>;
  readonly #timeoutMs: number;
  readonly #owner: AttemptOwner;
  readonly #deadlines: Deadlines;
  #deadline: Deadline | undefined;
  #resolve!: (value: unknown) => void;
  #reject!: (reason: unknown) => void;
  #settled = false;
  readonly #controller = new AbortController();

  constructor(owner: AttemptOwner, deadlines: Deadlines, timeoutMs: number) {
    this.#owner = owner;
    this.#deadlines = deadlines;
    this.#timeoutMs = timeoutMs;
    this.promise = new Promise((resolve, reject) => {
      this.#resolve = resolve;
      this.#reject = reject;
    });
  }

  /** Start waiting for `result` (what `execute` returned, or the promise of it). */
  follow(result: unknown): void {
    this.#owner.inFlight.add(this);
    this.#deadline = this.#deadlines.add(this, this.#timeoutMs);
    if (result !== null && typeof (result as PromiseLike<unknown>)?.then === 'function') {
      (result as PromiseLike<unknown>).then(
        (value) => this.#settle(true, value),
        (error: unknown) => this.#settle(false, error),
      );
    } else {
      this.#settle(true, result);
    }
  }

  /** The attempt failed before `execute` returned (it threw, or the run had already stopped). */
  failNow(error: unknown): void {
    this.#settle(false, error);
  }

  /** The signal handed to the tool. */
  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  /** The run stopped (or the time-out passed): abort the tool's signal and end the attempt with `reason`. */
  abort(reason: unknown): void {
    if (this.#settled) return;
    this.#controller.abort(reason);
    this.#settle(false, reason);
  }

  /** Called by {@link Deadlines} when the time-out passes first. */
  timedOut(): void {
    this.#deadline = undefined;
    this.abort(new AttemptTimeout(this.#timeoutMs));
  }

  #settle(ok: boolean, value: unknown): void {
    if (this.#settled) return;
    this.#settled = true;
    this.#owner.inFlight.delete(this);
    if (this.#deadline) this.#deadlines.settled(this.#deadline);
    if (ok) this.#resolve(value);
    else this.#reject(value);
  }
}
