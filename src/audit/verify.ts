import { createReadStream } from 'node:fs';
import { open } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { WardenConfigError } from '../errors.js';
import { AUDIT_ZERO_HASH, decodeAuditLine } from './jsonl-audit.js';

/** Why a log failed verification. */
export type AuditVerificationReason =
  /** Not a JSON object ending with a `hash` field, or missing `line`, `prev`, `seq` or `type`. */
  | 'unparseable'
  /** The line's content does not match its own hash: it was edited. */
  | 'hash_mismatch'
  /** `prev` is not the previous line's hash. */
  | 'chain_broken'
  /** `line` is not the line's position: lines were deleted, inserted or reordered. */
  | 'line_gap'
  /** A partial last line, or fewer lines than an `expect` anchor says there were. */
  | 'truncated'
  /** `seq` went down (or repeated) without restarting at 1. */
  | 'seq_regressed';

export interface AuditVerificationError {
  /** 1-based line number in the file where the problem is. */
  line: number;
  reason: AuditVerificationReason;
  message: string;
}

/**
 * The result of {@link verifyAuditLog}. `lines` counts the valid lines before
 * the problem (all lines when `ok`) and `lastHash` is the hash of the last of
 * them (64 zeros for none). Store `{ lines, lastHash }` somewhere the log's
 * writer cannot change, and pass it back as `expect` to detect truncation.
 */
export type AuditVerification =
  | { ok: true; lines: number; lastHash: string }
  | { ok: false; lines: number; lastHash: string; error: AuditVerificationError };

export interface VerifyAuditLogOptions {
  /**
   * An anchor from an earlier verification. The log must still hold at least
   * `lines` lines, and the chain must pass through `lastHash` (at line
   * `lines` when both are given). Lines appended since are fine.
   * @default undefined (no anchor: truncation of whole trailing lines is not detectable)
   */
  expect?: {
    /** @default undefined (any count) */
    lines?: number;
    /** @default undefined (any hash) */
    lastHash?: string;
  };
}

const HEX64 = /^[0-9a-f]{64}$/;
const NEWLINE = 0x0a;

/**
 * Check the hash chain of a log written by `jsonlAudit`. Reads the file as a
 * stream, line by line, and stops at the first problem:
 * an edited line (`hash_mismatch`), a deleted, inserted or reordered line
 * (`line_gap` or `chain_broken`), a partial last line (`truncated`), a `seq`
 * that goes down within one writer run (`seq_regressed`; a `seq` of 1 marks a
 * new run appending to the log), or — with `expect` — whole lines cut off the
 * end (`truncated`).
 *
 * The file is read up to its size when verification starts; lines appended
 * meanwhile are not checked.
 *
 * @throws the file system error when the file cannot be read, and
 *   `WardenConfigError` for a malformed `expect`.
 */
export async function verifyAuditLog(
  path: string,
  options: VerifyAuditLogOptions = {},
): Promise<AuditVerification> {
  const expect = normalizeExpect(options.expect);
  const state: ChainState = { lines: 0, lastHash: AUDIT_ZERO_HASH, lastSeq: undefined, anchor: undefined };

  const { size, endsWithNewline } = await inspectEnd(path);
  if (size > 0) {
    const stream = createReadStream(path, { encoding: 'utf8', start: 0, end: size - 1 });
    const reader = createInterface({ input: stream, crlfDelay: Number.POSITIVE_INFINITY });
    try {
      // Hold each line back by one so the last line can be checked for its newline.
      let pending: string | undefined;
      for await (const text of reader) {
        if (pending !== undefined) {
          const failure = checkLine(state, pending, expect);
          if (failure !== undefined) return failure;
        }
        pending = text;
      }
      if (pending !== undefined) {
        if (!endsWithNewline) {
          return failed(state, {
            line: state.lines + 1,
            reason: 'truncated',
            message: `line ${state.lines + 1} has no trailing newline: the log ends with a partial line`,
          });
        }
        const failure = checkLine(state, pending, expect);
        if (failure !== undefined) return failure;
      }
    } finally {
      reader.close();
      stream.destroy();
    }
  }
  return checkAnchor(state, expect) ?? { ok: true, lines: state.lines, lastHash: state.lastHash };
}

interface Expectation {
  lines?: number | undefined;
  lastHash?: string | undefined;
}

interface ChainState {
  /** Valid lines so far. */
  lines: number;
  /** Hash of the last valid line. */
  lastHash: string;
  lastSeq: number | undefined;
  /** What was found at the anchor: the hash there and the one before it. */
  anchor: { hash: string; prev: string } | undefined;
}

function normalizeExpect(expect: VerifyAuditLogOptions['expect']): Expectation {
  if (expect === undefined) return {};
  const { lines, lastHash } = expect;
  if (lines !== undefined && !(Number.isSafeInteger(lines) && lines >= 0)) {
    throw new WardenConfigError({
      path: 'expect.lines',
      message: `must be a non-negative integer, the \`lines\` of an earlier verification (got ${String(lines)})`,
    });
  }
  if (lastHash !== undefined && (typeof lastHash !== 'string' || !HEX64.test(lastHash))) {
    throw new WardenConfigError({
      path: 'expect.lastHash',
      message: 'must be 64 lowercase hex characters, the `lastHash` of an earlier verification',
    });
  }
  if (lines === 0 && lastHash !== undefined && lastHash !== AUDIT_ZERO_HASH) {
    throw new WardenConfigError({
      path: 'expect.lastHash',
      message: 'must be the zero hash when expect.lines is 0',
    });
  }
  return { lines, lastHash };
}

/** Check one line against the chain so far; advance the state, or return the failure. */
function checkLine(state: ChainState, text: string, expect: Expectation): AuditVerification | undefined {
  const at = state.lines + 1;
  const decoded = decodeAuditLine(text);
  if (!decoded.ok) {
    return failed(state, { line: at, reason: decoded.reason, message: `line ${at}: ${decoded.message}` });
  }
  if (decoded.line !== at) {
    return failed(state, {
      line: at,
      reason: 'line_gap',
      message: `line ${at} is numbered ${decoded.line}: lines were deleted, inserted or reordered`,
    });
  }
  if (decoded.prev !== state.lastHash) {
    return failed(state, {
      line: at,
      reason: 'chain_broken',
      message: `line ${at}: "prev" is not the hash of line ${at - 1}: a line was replaced or inserted`,
    });
  }
  if (decoded.seq !== 1 && state.lastSeq !== undefined && decoded.seq <= state.lastSeq) {
    return failed(state, {
      line: at,
      reason: 'seq_regressed',
      message: `line ${at}: seq ${decoded.seq} follows seq ${state.lastSeq} without a restart at 1`,
    });
  }
  const matchesAnchor =
    expect.lines !== undefined
      ? at === expect.lines
      : expect.lastHash !== undefined && decoded.hash === expect.lastHash;
  if (matchesAnchor) state.anchor = { hash: decoded.hash, prev: decoded.prev };
  state.lines = at;
  state.lastHash = decoded.hash;
  state.lastSeq = decoded.seq;
  return undefined;
}

/** After a clean read: does the chain still reach the anchor? */
function checkAnchor(state: ChainState, expect: Expectation): AuditVerification | undefined {
  const { lines, lastHash } = expect;
  if (lines !== undefined && state.lines < lines) {
    return failed(state, {
      line: state.lines + 1,
      reason: 'truncated',
      message: `the log has ${state.lines} lines, fewer than the ${lines} anchored: lines were cut off the end`,
    });
  }
  if (lastHash === undefined || lastHash === AUDIT_ZERO_HASH) return undefined;
  if (lines === undefined) {
    if (state.anchor !== undefined) return undefined;
    return failed(state, {
      line: state.lines + 1,
      reason: 'truncated',
      message: 'no line has the anchored hash: the log was truncated or rewritten after the anchor',
    });
  }
  const anchor = state.anchor!;
  if (anchor.hash === lastHash) return undefined;
  return {
    ok: false,
    lines: lines - 1,
    lastHash: anchor.prev,
    error: {
      line: lines,
      reason: 'truncated',
      message: `line ${lines} does not have the anchored hash: the log was truncated and rewritten after the anchor`,
    },
  };
}

function failed(state: ChainState, error: AuditVerificationError): AuditVerification {
  return { ok: false, lines: state.lines, lastHash: state.lastHash, error };
}

/** The file's size now, and whether its last byte is a newline. */
async function inspectEnd(path: string): Promise<{ size: number; endsWithNewline: boolean }> {
  const handle = await open(path, 'r');
  try {
    const { size } = await handle.stat();
    if (size === 0) return { size, endsWithNewline: true };
    const last = Buffer.alloc(1);
    await handle.read(last, 0, 1, size - 1);
    return { size, endsWithNewline: last[0] === NEWLINE };
  } finally {
    await handle.close();
  }
}
