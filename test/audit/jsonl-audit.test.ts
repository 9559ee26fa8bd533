import { mkdir, mkdtemp, open, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { AUDIT_ZERO_HASH, jsonlAudit } from '../../src/audit/jsonl-audit.js';
import type { AuditEvent } from '../../src/audit/types.js';
import { verifyAuditLog } from '../../src/audit/verify.js';
import { WardenError } from '../../src/errors.js';
import { sha256Hex } from '../../src/internal/hash.js';

function toolCall(seq: number, extra: Record<string, unknown> = {}): AuditEvent {
  return {
    seq,
    ts: 1_700_000_000_000 + seq,
    type: 'tool_call',
    tool: 'search',
    callId: `c${seq}`,
    outcome: 'ok',
    durationMs: 5,
    ...extra,
  } as AuditEvent;
}

async function readLines(path: string): Promise<Array<Record<string, unknown>>> {
  const text = await readFile(path, 'utf8');
  return text
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

let dir: string;
let path: string;

beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'warden-jsonl-'));
  path = join(dir, 'audit.jsonl');
});

afterEach(async () => {
  vi.restoreAllMocks();
  await rm(dir, { recursive: true, force: true });
});

describe('jsonlAudit', () => {
  it('writes one line per event in the documented format', async () => {
    const sink = jsonlAudit(path);
    await sink.write(toolCall(1));
    await sink.write({ seq: 2, ts: 2, type: 'killed', scope: 'run', reason: 'operator' });
    await sink.close();

    const text = await readFile(path, 'utf8');
    const lines = text.split('\n');
    expect(lines).toHaveLength(3);
    expect(lines[2]).toBe('');

    let prev = AUDIT_ZERO_HASH;
    for (const [index, event] of [
      toolCall(1),
      { seq: 2, ts: 2, type: 'killed', scope: 'run', reason: 'operator' },
    ].entries()) {
      const body = JSON.stringify({ ...event, line: index + 1, prev });
      const hash = sha256Hex(body);
      expect(lines[index]).toBe(`${body.slice(0, -1)},"hash":"${hash}"}`);
      prev = hash;
    }
  });

  it('keeps 200 concurrent writes in call order', async () => {
    const sink = jsonlAudit(path);
    await Promise.all(Array.from({ length: 200 }, (_, i) => sink.write(toolCall(i + 1))));
    await sink.close();
    const lines = await readLines(path);
    expect(lines.map((line) => line.seq)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(lines.map((line) => line.line)).toEqual(Array.from({ length: 200 }, (_, i) => i + 1));
    expect(await verifyAuditLog(path)).toMatchObject({ ok: true, lines: 200 });
  });

  it('continues the hash chain across close and reopen', async () => {
    const first = jsonlAudit(path);
    for (let seq = 1; seq <= 3; seq++) await first.write(toolCall(seq));
    await first.close();
    const before = await readLines(path);

    const second = jsonlAudit(path);
    await second.write(toolCall(1));
    await second.write(toolCall(2));
    await second.close();

    const lines = await readLines(path);
    expect(lines).toHaveLength(5);
    expect(lines[3]).toMatchObject({ line: 4, seq: 1, prev: before[2]!.hash });
    expect(lines[4]).toMatchObject({ line: 5, seq: 2, prev: lines[3]!.hash });
    expect(await verifyAuditLog(path)).toEqual({ ok: true, lines: 5, lastHash: lines[4]!.hash });
  });

  it('fsyncs each line when fsync is true', async () => {
    const probe = await open(join(dir, 'probe'), 'w');
    const sync = vi.spyOn(Object.getPrototypeOf(probe), 'sync');
    await probe.close();

    const sink = jsonlAudit(path, { fsync: true });
    await sink.write(toolCall(1));
    await sink.write(toolCall(2));
    await sink.close();
    expect(sync).toHaveBeenCalledTimes(2);
    expect(await verifyAuditLog(path)).toMatchObject({ ok: true, lines: 2 });
  });

  it('does not fsync by default', async () => {
    const probe = await open(join(dir, 'probe'), 'w');
    const sync = vi.spyOn(Object.getPrototypeOf(probe), 'sync');
    await probe.close();

    const sink = jsonlAudit(path);
    await sink.write(toolCall(1));
    await sink.close();
    expect(sync).not.toHaveBeenCalled();
  });

  it('rejects a write to a path in a missing directory, then recovers once it exists', async () => {
    const nested = join(dir, 'missing', 'audit.jsonl');
    const sink = jsonlAudit(nested);
    let pending: Promise<void> | undefined;
    expect(() => {
      pending = sink.write(toolCall(1));
    }).not.toThrow();
    await expect(pending).rejects.toSatisfy(
      (error: unknown) => WardenError.isInstance(error) && error.code === 'audit_unavailable',
    );
    await expect(pending).rejects.toThrow(/could not write tool_call event \(seq 1\)/);

    await mkdir(join(dir, 'missing'));
    await sink.write(toolCall(2));
    await sink.close();
    expect(await readLines(nested)).toEqual([
      expect.objectContaining({ seq: 2, line: 1, prev: AUDIT_ZERO_HASH }),
    ]);
  });

  it('rejects a write when the path is a directory', async () => {
    const sink = jsonlAudit(dir);
    let pending: Promise<void> | undefined;
    expect(() => {
      pending = sink.write(toolCall(1));
    }).not.toThrow();
    await expect(pending).rejects.toThrow(WardenError);
    await sink.close();
  });

  it('rejects an event JSON cannot encode and keeps writing the next ones', async () => {
    const sink = jsonlAudit(path);
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await sink.write(toolCall(1));
    await expect(sink.write(toolCall(2, { usage: { tokens: 10n } }))).rejects.toThrow(
      /cannot be encoded as JSON/,
    );
    await expect(sink.write(toolCall(3, { extra: cyclic }))).rejects.toThrow(/cannot be encoded as JSON/);
    await sink.write(toolCall(4));
    await sink.close();
    expect((await readLines(path)).map((line) => line.seq)).toEqual([1, 4]);
    expect(await verifyAuditLog(path)).toMatchObject({ ok: true, lines: 2 });
  });

  it('rejects events that carry the reserved fields line, prev or hash', async () => {
    const sink = jsonlAudit(path);
    await expect(sink.write(toolCall(1, { line: 9 }))).rejects.toThrow(/"line" is reserved/);
    await expect(sink.write(toolCall(1, { hash: 'x' }))).rejects.toThrow(/"hash" is reserved/);
    await sink.close();
  });

  it('refuses to append after an unparseable last line instead of starting a new chain', async () => {
    const first = jsonlAudit(path);
    await first.write(toolCall(1));
    await first.close();
    await writeFile(path, '{"seq":2,"garbage\n', { flag: 'a' });
    const before = await readFile(path, 'utf8');

    const sink = jsonlAudit(path);
    await expect(sink.write(toolCall(1))).rejects.toThrow(/last line is not a valid audit line/);
    await expect(sink.write(toolCall(2))).rejects.toThrow(/refusing to append/);
    await sink.close();
    expect(await readFile(path, 'utf8')).toBe(before);
  });

  it('refuses to append after a partial last line', async () => {
    const first = jsonlAudit(path);
    await first.write(toolCall(1));
    await first.write(toolCall(2));
    await first.close();
    const text = await readFile(path, 'utf8');
    await writeFile(path, text.slice(0, -20));

    const sink = jsonlAudit(path);
    await expect(sink.write(toolCall(1))).rejects.toThrow(/last line is incomplete/);
    await sink.close();
  });

  it('continues a log whose last line is longer than one read chunk', async () => {
    const first = jsonlAudit(path);
    await first.write(toolCall(1));
    await first.write(toolCall(2, { message: 'x'.repeat(200_000) }));
    await first.close();

    const second = jsonlAudit(path);
    await second.write(toolCall(1));
    await second.close();
    expect(await verifyAuditLog(path)).toMatchObject({ ok: true, lines: 3 });
  });

  it('close waits for queued writes, and writes after close reject', async () => {
    const sink = jsonlAudit(path);
    const writes = Array.from({ length: 10 }, (_, i) => sink.write(toolCall(i + 1)));
    await sink.close();
    await Promise.all(writes);
    expect(await readLines(path)).toHaveLength(10);
    await expect(sink.write(toolCall(11))).rejects.toThrow(/closed/);
    await expect(sink.close()).resolves.toBeUndefined();
  });

  it('validates its arguments', () => {
    expect(() => jsonlAudit('')).toThrow(/jsonlAudit\.path/);
    expect(() => jsonlAudit(path, { fsync: 'yes' as unknown as boolean })).toThrow(/jsonlAudit\.fsync/);
  });
});
