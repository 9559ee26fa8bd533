import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url)).replace(/\/$/, '');
const EXIT_WITHIN_MS = 5_000;

/**
 * The child: a warden with two breakers; calls fail until one breaker is open, a hanging tool times
 * out (with a real backoff between its two attempts), then — when WARDEN_CLOSE=1 — `warden.close()`.
 * It never calls process.exit. A ref'd keep-alive interval holds the process up while the work runs
 * (every library timer is unref'd, so without it the process could exit mid-await) and is cleared
 * before the end. setTimeout / setInterval are wrapped to report which timers are still live at the end.
 */
const SCRIPT = `
import { createRequire } from 'node:module';
const ROOT = process.env.WARDEN_ROOT;
const CLOSE = process.env.WARDEN_CLOSE === '1';
const { z } = createRequire(ROOT + '/package.json')('zod');

const real = { setTimeout, clearTimeout, setInterval, clearInterval };
const live = new Map();
globalThis.setTimeout = (fn, ms, ...args) => {
  const handle = real.setTimeout((...a) => { live.delete(handle); fn(...a); }, ms, ...args);
  live.set(handle, { kind: 'timeout', ms });
  return handle;
};
globalThis.clearTimeout = (handle) => { live.delete(handle); real.clearTimeout(handle); };
globalThis.setInterval = (fn, ms, ...args) => {
  const handle = real.setInterval(fn, ms, ...args);
  live.set(handle, { kind: 'interval', ms });
  return handle;
};
globalThis.clearInterval = (handle) => { live.delete(handle); real.clearInterval(handle); };

const keepAlive = real.setInterval(() => {}, 1_000);
const { createWarden, defineTool } = await import(ROOT + '/src/index.ts');
const flaky = defineTool({
  name: 'flaky', description: 'Always 503', input: z.object({ n: z.number() }), effect: 'read',
  retry: { retries: 0 }, breaker: { volumeThreshold: 2, resetTimeoutMs: 60_000 },
  execute: async () => { throw Object.assign(new Error('down'), { status: 503 }); },
});
const slow = defineTool({
  name: 'slow', description: 'Never answers', input: z.object({ n: z.number() }), effect: 'read',
  timeoutMs: 30, retry: { retries: 1, minDelayMs: 10, maxDelayMs: 10 },
  execute: () => new Promise(() => {}),
});
const warden = createWarden({ tools: [flaky, slow] });
const result = await warden.run({ userId: 'u1' }, async (run) => {
  const codes = [];
  for (let n = 0; n < 3; n++) codes.push((await run.tool('flaky', { n })).error?.code);
  codes.push((await run.tool('slow', { n: 0 })).error?.code);
  return codes;
});
real.clearInterval(keepAlive);
if (CLOSE) await warden.close();
console.log(JSON.stringify({ status: result.status, output: result.output, live: [...live.values()] }));
`;

interface ChildResult {
  code: number | null;
  killed: boolean;
  ms: number;
  stdout: string;
  stderr: string;
}

let dir: string;
let script: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'agent-warden-handles-'));
  script = join(dir, 'child.mjs');
  await writeFile(script, SCRIPT);
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Run the child; kill it if it has not exited on its own within EXIT_WITHIN_MS. */
function runChild(close: boolean): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const started = Date.now();
    const child = spawn(process.execPath, ['--import', 'tsx', script], {
      cwd: ROOT,
      env: { ...process.env, WARDEN_ROOT: ROOT, WARDEN_CLOSE: close ? '1' : '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk) => {
      stderr += chunk;
    });
    let killed = false;
    const timer = setTimeout(() => {
      killed = true;
      child.kill('SIGKILL');
    }, EXIT_WITHIN_MS);
    child.on('error', reject);
    child.on('close', (code) => {
      clearTimeout(timer);
      resolve({ code, killed, ms: Date.now() - started, stdout, stderr });
    });
  });
}

function report(result: ChildResult) {
  const line = result.stdout.trim().split('\n').at(-1) ?? '';
  return JSON.parse(line) as { status: string; output: string[]; live: Array<{ kind: string; ms: number }> };
}

describe('open handles', () => {
  // Both children run at once (each needs tsx to start, ~0.5 s).
  const children = {
    closed: undefined as Promise<ChildResult> | undefined,
    unclosed: undefined as Promise<ChildResult> | undefined,
  };
  beforeAll(() => {
    children.closed = runChild(true);
    children.unclosed = runChild(false);
  });

  it('after warden.close() (open breakers, timeouts, backoff) the process exits by itself, with no timer left', async () => {
    const result = await children.closed!;
    expect(result.killed, `child did not exit within ${EXIT_WITHIN_MS} ms; stderr:\n${result.stderr}`).toBe(
      false,
    );
    expect(result.code, result.stderr).toBe(0);
    const { status, output, live } = report(result);
    // The work really happened: a breaker opened and a tool timed out.
    expect(status).toBe('completed');
    expect(output).toEqual(['tool_error', 'tool_error', 'circuit_open', 'tool_timeout']);
    // close() cleared every timer the library (and opossum) created.
    expect(live).toEqual([]);
  });

  it('control, without close(): observed to exit too, because every timer left behind is unref()d', async () => {
    // Observed on Node 24: the process still exits on its own, but opossum's rolling-window interval
    // (one per breaker) and the open breaker's reset timer are still live at the end. They are
    // unref()d, so they do not hold the event loop; close() is what actually clears them (see above).
    const result = await children.unclosed!;
    expect(result.killed, `child did not exit within ${EXIT_WITHIN_MS} ms; stderr:\n${result.stderr}`).toBe(
      false,
    );
    expect(result.code, result.stderr).toBe(0);
    const { output, live } = report(result);
    expect(output).toEqual(['tool_error', 'tool_error', 'circuit_open', 'tool_timeout']);
    expect(live.filter((t) => t.kind === 'interval')).toHaveLength(2);
    expect(live.length).toBeGreaterThan(0);
  });
});
