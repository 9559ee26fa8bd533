import { type FileHandle, open } from 'node:fs/promises';
import { WardenConfigError, WardenError } from '../errors.js';
import { sha256Hex } from '../internal/hash.js';
import type { AuditEvent, AuditSink } from './types.js';

export interface JsonlAuditOptions {
  /**
   * `fsync` every line before its `write` resolves, so an acknowledged event
   * survives a power loss. Slower: one disk flush per event.
   * @default false
   */
  fsync?: boolean;
}

/** A JSON Lines audit sink with a hash chain. */
export interface JsonlAudit extends AuditSink {
  /** Resolves once the line is written (and fsynced with `fsync: true`); rejects if it was not. */
  write(event: AuditEvent): Promise<void>;
  /** Wait for queued writes, then close the file. Writes after `close` reject. */
  close(): Promise<void>;
}

/** The `prev` of the first line of a log, and the `lastHash` of an empty one: 64 zeros. */
export const AUDIT_ZERO_HASH = '0'.repeat(64);

/** Fields the log format adds to every event; events may not carry them. */
const RESERVED_FIELDS = ['line', 'prev', 'hash'] as const;
const HEX64 = /^[0-9a-f]{64}$/;
/** Every line ends with `,"hash":"<64 hex>"}`. */
const HASH_SUFFIX = /,"hash":"([0-9a-f]{64})"\}$/;
const HASH_SUFFIX_LENGTH = ',"hash":"'.length + 64 + '"}'.length;
const NEWLINE = 0x0a;
const TAIL_CHUNK_BYTES = 64 * 1024;

/**
 * An audit sink that appends one JSON object per line to `path`, each line
 * chained to the one before so `verifyAuditLog(path)` detects edits, deleted,
 * inserted or reordered lines, and truncation.
 *
 * Line format: the JSON of `{ ...event, line, prev }` with a final `hash`
 * field, where `line` is the 1-based line number in the file, `prev` the
 * previous line's `hash` ({@link AUDIT_ZERO_HASH} for the first line) and
 * `hash` the hex SHA-256 of that JSON text without the `hash` field:
 *
 * ```text
 * {"seq":1,"ts":1700000000000,"type":"run_started","agent":"a","line":1,"prev":"000…000","hash":"9f2…"}
 * ```
 *
 * The file is opened in append mode on the first write. If it already holds
 * lines, the chain continues from its last line, so restarts extend one
 * chain; if that last line is not a valid audit line (for instance a write cut
 * short by a crash), every write rejects rather than silently starting a new
 * chain. Writes are queued and land in call order. A failed write rejects its
 * own promise with a `WardenError` (`code: 'audit_unavailable'`) and nothing
 * else: the next write reopens the file and tries again.
 *
 * Use one writer per file: two processes, or two sinks in one process,
 * appending to the same path break the chain.
 */
export function jsonlAudit(path: string, options: JsonlAuditOptions = {}): JsonlAudit {
  if (typeof path !== 'string' || path === '') {
    throw new WardenConfigError({ path: 'jsonlAudit.path', message: 'must be a non-empty file path' });
  }
  const fsync = options.fsync ?? false;
  if (typeof fsync !== 'boolean') {
    throw new WardenConfigError({
      path: 'jsonlAudit.fsync',
      message: `must be true or false (got ${String(fsync)})`,
    });
  }

  let handle: FileHandle | undefined;
  let nextLine = 1;
  let prev = AUDIT_ZERO_HASH;
  let queue: Promise<void> = Promise.resolve();
  let closing: Promise<void> | undefined;

  const fail = (event: unknown, cause: unknown): WardenError =>
    new WardenError({
      code: 'audit_unavailable',
      message: `audit log ${path}: could not write ${describe(event)}: ${errorMessage(cause)}`,
      cause,
    });

  /** Open the file and continue the chain from its last line. */
  const openLog = async (): Promise<FileHandle> => {
    const opened = await open(path, 'a+');
    try {
      const last = await readLastLine(opened);
      if (last === undefined) {
        nextLine = 1;
        prev = AUDIT_ZERO_HASH;
      } else {
        const decoded = decodeAuditLine(last);
        if (!decoded.ok) {
          throw new Error(
            `its last line is not a valid audit line (${decoded.message}); refusing to append so the hash ` +
              'chain is not silently restarted. Run verifyAuditLog() on it, then repair or rotate the file',
          );
        }
        nextLine = decoded.line + 1;
        prev = decoded.hash;
      }
      return opened;
    } catch (error) {
      await opened.close().catch(() => {});
      throw error;
    }
  };

  /** Forget the handle so the next write reopens the file and re-reads where the chain ends. */
  const discardHandle = async (): Promise<void> => {
    const current = handle;
    handle = undefined;
    await current?.close().catch(() => {});
  };

  const append = async (eventJson: string): Promise<void> => {
    handle ??= await openLog();
    const body = `${eventJson.slice(0, -1)},"line":${nextLine},"prev":"${prev}"}`;
    const hash = sha256Hex(body);
    try {
      await writeAll(handle, Buffer.from(`${body.slice(0, -1)},"hash":"${hash}"}\n`, 'utf8'));
      if (fsync) await handle.sync();
    } catch (error) {
      await discardHandle();
      throw error;
    }
    nextLine += 1;
    prev = hash;
  };

  return {
    write(event) {
      if (closing !== undefined) return Promise.reject(fail(event, new Error('the sink is closed')));
      let eventJson: string;
      try {
        eventJson = encodeEvent(event);
      } catch (error) {
        return Promise.reject(fail(event, error));
      }
      const written = queue.then(() => append(eventJson));
      queue = written.then(
        () => {},
        () => {},
      );
      return written.catch((error: unknown) => {
        throw fail(event, error);
      });
    },
    close() {
      closing ??= queue.then(discardHandle);
      return closing;
    },
  };
}

/** @internal One line of a JSONL audit log, checked against its own hash. */
export type DecodedAuditLine =
  | { ok: true; line: number; prev: string; hash: string; seq: number; record: Record<string, unknown> }
  | { ok: false; reason: 'unparseable' | 'hash_mismatch'; message: string };

/**
 * @internal Split a log line (without its newline) into body and hash, check
 * the hash, and read the chain fields. Shared by the writer (to resume a log)
 * and `verifyAuditLog`.
 */
export function decodeAuditLine(text: string): DecodedAuditLine {
  const suffix = HASH_SUFFIX.exec(text);
  if (suffix === null) {
    return { ok: false, reason: 'unparseable', message: 'line does not end with a "hash" field' };
  }
  const hash = suffix[1]!;
  const body = `${text.slice(0, -HASH_SUFFIX_LENGTH)}}`;
  if (sha256Hex(body) !== hash) {
    return {
      ok: false,
      reason: 'hash_mismatch',
      message: 'line content does not match its hash: it was edited',
    };
  }
  let record: unknown;
  try {
    record = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: 'unparseable', message: `invalid JSON (${errorMessage(error)})` };
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) {
    return { ok: false, reason: 'unparseable', message: 'line is not a JSON object' };
  }
  const fields = record as Record<string, unknown>;
  const { line, prev, seq, type } = fields;
  if (fields.hash !== hash || typeof prev !== 'string' || !HEX64.test(prev)) {
    return {
      ok: false,
      reason: 'unparseable',
      message: '"hash" or "prev" is not 64 lowercase hex characters',
    };
  }
  if (!isPositiveInteger(line)) {
    return { ok: false, reason: 'unparseable', message: '"line" is not a positive integer' };
  }
  if (!isPositiveInteger(seq) || typeof type !== 'string') {
    return {
      ok: false,
      reason: 'unparseable',
      message: 'not an audit event (needs a positive "seq" and a "type")',
    };
  }
  return { ok: true, line, prev, hash, seq, record: fields };
}

/** The event's JSON, checked to be an object the log format can extend. Throws with a clear message. */
function encodeEvent(event: AuditEvent): string {
  if (typeof event !== 'object' || event === null || Array.isArray(event)) {
    throw new TypeError('an audit event must be an object');
  }
  if (!isPositiveInteger(event.seq) || typeof event.type !== 'string') {
    throw new TypeError('an audit event needs a positive integer "seq" and a string "type"');
  }
  for (const field of RESERVED_FIELDS) {
    if (Object.hasOwn(event, field)) {
      throw new TypeError(`the field "${field}" is reserved by the JSONL audit format`);
    }
  }
  let json: string | undefined;
  try {
    json = JSON.stringify(event);
  } catch (error) {
    throw new TypeError(`the event cannot be encoded as JSON (${errorMessage(error)})`, { cause: error });
  }
  if (json === undefined || !json.startsWith('{"') || !json.endsWith('}')) {
    throw new TypeError('the event does not encode to a JSON object');
  }
  return json;
}

/** The last line of the file without its newline, or `undefined` when the file is empty. */
async function readLastLine(handle: FileHandle): Promise<string | undefined> {
  const { size } = await handle.stat();
  if (size === 0) return undefined;
  let tail = Buffer.alloc(0);
  let start = size;
  for (;;) {
    const from = Math.max(0, start - TAIL_CHUNK_BYTES);
    const chunk = Buffer.alloc(start - from);
    await readAll(handle, chunk, from);
    tail = Buffer.concat([chunk, tail]);
    start = from;
    if (tail[tail.length - 1] !== NEWLINE) {
      throw new Error(
        'its last line is incomplete (no trailing newline; a write was probably cut short); refusing to ' +
          'append so the hash chain is not silently restarted. Run verifyAuditLog() on it, then repair or ' +
          'rotate the file',
      );
    }
    const newline = tail.length >= 2 ? tail.lastIndexOf(NEWLINE, tail.length - 2) : -1;
    if (newline !== -1) return tail.subarray(newline + 1, tail.length - 1).toString('utf8');
    if (start === 0) return tail.subarray(0, tail.length - 1).toString('utf8');
  }
}

async function readAll(handle: FileHandle, buffer: Buffer, position: number): Promise<void> {
  let offset = 0;
  while (offset < buffer.length) {
    const { bytesRead } = await handle.read(buffer, offset, buffer.length - offset, position + offset);
    if (bytesRead === 0) throw new Error('the file shrank while its last line was being read');
    offset += bytesRead;
  }
}

async function writeAll(handle: FileHandle, buffer: Buffer): Promise<void> {
  let offset = 0;
  while (offset < buffer.length) {
    const { bytesWritten } = await handle.write(buffer, offset, buffer.length - offset, null);
    offset += bytesWritten;
  }
}

function isPositiveInteger(value: unknown): value is number {
  return typeof value === 'number' && Number.isSafeInteger(value) && value >= 1;
}

function describe(event: unknown): string {
  if (typeof event !== 'object' || event === null) return 'event';
  const { type, seq } = event as { type?: unknown; seq?: unknown };
  return `${typeof type === 'string' ? type : 'unknown'} event (seq ${String(seq)})`;
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
