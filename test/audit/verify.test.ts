import { appendFile, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { AUDIT_ZERO_HASH, jsonlAudit } from '../../src/audit/jsonl-audit.js';
import type { AuditEvent } from '../../src/audit/types.js';
import { verifyAuditLog } from '../../src/audit/verify.js';
import { WardenConfigError } from '../../src/errors.js';
import { sha256Hex } from '../../src/internal/hash.js';

function toolCall(seq: number): AuditEvent {
  return {
    seq,
    ts: 1_700_000_000_000 + seq,
    type: 'tool_call',
    tool: 'search',
    callId: `call-${seq}`,
    outcome: 'ok',
    durationMs: 5,
  };
}

/** A self-consistent line, as the writer would produce it. */
function forgeLine(fields: Record<string, unknown>): string {
  const body = JSON.stringify(fields);
  return `${body.slice(0, -1)},"hash":"${sha256Hex(body)}"}`;
}

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warden-verify-'));
  path = join(dir, 'audit.jsonl');
});

afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function writeLog(seqs: number[]): Promise<void> {
  const sink = jsonlAudit(path);
  for (const seq of seqs) await sink.write(toolCall(seq));
  await sink.close();
}

/** The log's lines without the final empty string. */
async function lines(): Promise<string[]> {
  return (await readFile(path, 'utf8')).split('\n').slice(0, -1);
}

async function rewrite(edit: (lines: string[]) => string[]): Promise<void> {
  await writeFile(path, `${edit(await lines()).join('\n')}\n`);
}

function hashOf(line: string): string {
  return (JSON.parse(line) as { hash: string }).hash;
}

describe('verifyAuditLog', () => {
  it('passes on a clean 1000-line log', async () => {
    await writeLog(Array.from({ length: 1000 }, (_, i) => i + 1));
    const last = (await lines()).at(-1)!;
    expect(await verifyAuditLog(path)).toEqual({ ok: true, lines: 1000, lastHash: hashOf(last) });
  });

  it('passes on an empty file with the zero hash', async () => {
    await writeFile(path, '');
    expect(await verifyAuditLog(path)).toEqual({ ok: true, lines: 0, lastHash: AUDIT_ZERO_HASH });
  });

  it('detects one edited character in the middle line', async () => {
    await writeLog([1, 2, 3, 4, 5]);
    const original = await lines();
    await rewrite((all) => all.map((line, i) => (i === 2 ? line.replace('"search"', '"searcH"') : line)));
    expect(await lines()).not.toEqual(original);
    expect(await verifyAuditLog(path)).toEqual({
      ok: false,
      lines: 2,
      lastHash: hashOf(original[1]!),
      error: { line: 3, reason: 'hash_mismatch', message: expect.stringMatching(/edited/) },
    });
  });

  it('detects a deleted line', async () => {
    await writeLog([1, 2, 3, 4, 5]);
    await rewrite((all) => all.filter((_, i) => i !== 2));
    expect(await verifyAuditLog(path)).toMatchObject({
      ok: false,
      lines: 2,
      error: { line: 3, reason: 'line_gap' },
    });
  });

  it('detects a deleted first line', async () => {
    await writeLog([1, 2, 3]);
    await rewrite((all) => all.slice(1));
    expect(await verifyAuditLog(path)).toMatchObject({
      ok: false,
      lines: 0,
      error: { line: 1, reason: 'line_gap' },
    });
  });

  it('detects reordered lines', async () => {
    await writeLog([1, 2, 3, 4, 5]);
    await rewrite(([a, b, c, d, e]) => [a!, b!, d!, c!, e!]);
    expect(await verifyAuditLog(path)).toMatchObject({
      ok: false,
      lines: 2,
      error: { line: 3, reason: 'line_gap' },
    });
  });

  it('detects an inserted copy of a line', async () => {
    await writeLog([1, 2, 3, 4, 5]);
    await rewrite((all) => [...all.slice(0, 3), all[1]!, ...all.slice(3)]);
    expect(await verifyAuditLog(path)).toMatchObject({
      ok: false,
      lines: 3,
      error: { line: 4, reason: 'line_gap' },
    });
  });

  it('detects an inserted forged line with a valid hash and line number', async () => {
    await writeLog([1, 2, 3]);
    const original = await lines();
    const forged = forgeLine({ ...toolCall(3), line: 3, prev: hashOf(original[1]!) });
    await rewrite((all) => [all[0]!, all[1]!, forged, all[2]!]);
    // The forged line fits; the original third line, now fourth, does not.
    expect(await verifyAuditLog(path)).toMatchObject({
      ok: false,
      lines: 3,
      error: { line: 4, reason: 'line_gap' },
    });
  });

  it('detects a replaced line whose own hash is valid but whose prev is not', async () => {
    await writeLog([1, 2, 3]);
    const forged = forgeLine({ ...toolCall(2), tool: 'delete_all', line: 2, prev: AUDIT_ZERO_HASH });
    await rewrite((all) => [all[0]!, forged, all[2]!]);
    expect(await verifyAuditLog(path)).toMatchObject({
      ok: false,
      lines: 1,
      error: { line: 2, reason: 'chain_broken' },
    });
  });

  it('detects a partial last line', async () => {
    await writeLog([1, 2, 3]);
    const all = await lines();
    await writeFile(path, `${all[0]}\n${all[1]}\n${all[2]!.slice(0, 40)}`);
    expect(await verifyAuditLog(path)).toEqual({
      ok: false,
      lines: 2,
      lastHash: hashOf(all[1]!),
      error: { line: 3, reason: 'truncated', message: expect.stringMatching(/partial line/) },
    });
  });

  it('detects a last line missing only its newline', async () => {
    await writeLog([1, 2]);
    await writeFile(path, (await readFile(path, 'utf8')).slice(0, -1));
    expect(await verifyAuditLog(path)).toMatchObject({
      ok: false,
      lines: 1,
      error: { line: 2, reason: 'truncated' },
    });
  });

  it('reports an unparseable line', async () => {
    await writeLog([1, 2]);
    await appendFile(path, 'not json\n');
    expect(await verifyAuditLog(path)).toMatchObject({
      ok: false,
      lines: 2,
      error: { line: 3, reason: 'unparseable' },
    });
  });

  it('detects whole trailing lines cut off, given an anchor', async () => {
    await writeLog([1, 2, 3, 4, 5]);
    const anchor = await verifyAuditLog(path);
    expect(anchor.ok).toBe(true);
    const { lines: count, lastHash } = anchor;

    await rewrite((all) => all.slice(0, 3));
    // Without the anchor a cleanly cut log looks fine.
    expect(await verifyAuditLog(path)).toMatchObject({ ok: true, lines: 3 });
    expect(await verifyAuditLog(path, { expect: { lines: count, lastHash } })).toMatchObject({
      ok: false,
      lines: 3,
      error: { line: 4, reason: 'truncated' },
    });
    expect(await verifyAuditLog(path, { expect: { lines: count } })).toMatchObject({
      ok: false,
      error: { reason: 'truncated' },
    });
    expect(await verifyAuditLog(path, { expect: { lastHash } })).toMatchObject({
      ok: false,
      error: { reason: 'truncated' },
    });
  });

  it('detects a log cut and re-extended to the anchored length', async () => {
    await writeLog([1, 2, 3, 4, 5]);
    const { lines: count, lastHash } = await verifyAuditLog(path);
    await rewrite((all) => all.slice(0, 3));
    await writeLog([1, 2]);
    expect(await verifyAuditLog(path)).toMatchObject({ ok: true, lines: 5 });
    const all = await lines();
    expect(await verifyAuditLog(path, { expect: { lines: count, lastHash } })).toEqual({
      ok: false,
      lines: 4,
      lastHash: hashOf(all[3]!),
      error: { line: 5, reason: 'truncated', message: expect.any(String) },
    });
  });

  it('accepts lines appended after the anchor', async () => {
    await writeLog([1, 2, 3]);
    const { lines: count, lastHash } = await verifyAuditLog(path);
    await writeLog([1, 2]);
    expect(await verifyAuditLog(path, { expect: { lines: count, lastHash } })).toMatchObject({
      ok: true,
      lines: 5,
    });
    expect(await verifyAuditLog(path, { expect: { lastHash } })).toMatchObject({ ok: true, lines: 5 });
  });

  it('accepts seq restarting at 1 and rejects seq going down otherwise', async () => {
    await writeLog([1, 2, 3, 1, 2]);
    expect(await verifyAuditLog(path)).toMatchObject({ ok: true, lines: 5 });

    await rm(path);
    await writeLog([1, 2, 5, 3]);
    expect(await verifyAuditLog(path)).toMatchObject({
      ok: false,
      lines: 3,
      error: { line: 4, reason: 'seq_regressed' },
    });

    await rm(path);
    await writeLog([1, 2, 2]);
    expect(await verifyAuditLog(path)).toMatchObject({
      ok: false,
      error: { line: 3, reason: 'seq_regressed' },
    });
  });

  it('rejects a malformed anchor and a missing file', async () => {
    await writeLog([1]);
    await expect(verifyAuditLog(path, { expect: { lines: -1 } })).rejects.toThrow(WardenConfigError);
    await expect(verifyAuditLog(path, { expect: { lastHash: 'abc' } })).rejects.toThrow(/expect\.lastHash/);
    await expect(verifyAuditLog(join(dir, 'nope.jsonl'))).rejects.toThrow(/ENOENT/);
  });
});
