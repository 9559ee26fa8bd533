/** The reason an attempt's signal is aborted when its `timeoutMs` passes. */
export class AttemptTimeout extends Error {
  readonly timeoutMs: number;

  constructor(timeoutMs: number) {
    super(`tool attempt timed out after ${timeoutMs} ms`);
    this.name = 'AttemptTimeout';
    this.timeoutMs = timeoutMs;
  }
}
