import { type ChildProcess, spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { WorkerInput } from './worker.js';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const WORKER = fileURLToPath(new URL('./worker.ts', import.meta.url));

export type Message = Record<string, unknown> & { type: string };

/** A worker process (test/redis/worker.ts) and the JSON lines it writes. */
export interface Worker {
  readonly child: ChildProcess;
  readonly messages: Message[];
  /** The first message of this type (waits for it; rejects if the process ends first). */
  next(type: string, timeoutMs?: number): Promise<Message>;
  /** Resolves with the exit code once the process has ended. */
  readonly exited: Promise<number | null>;
}

export function startWorker(input: WorkerInput): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, JSON.stringify(input)], {
    cwd: ROOT,
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  const messages: Message[] = [];
  const waiters = new Set<() => void>();
  let stderr = '';
  let buffer = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (chunk: string) => {
    buffer += chunk;
    let newline = buffer.indexOf('\n');
    while (newline >= 0) {
      const line = buffer.slice(0, newline).trim();
      buffer = buffer.slice(newline + 1);
      if (line) messages.push(JSON.parse(line) as Message);
      newline = buffer.indexOf('\n');
    }
    for (const wake of waiters) wake();
  });
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (chunk: string) => {
    stderr += chunk;
  });
  const exited = new Promise<number | null>((resolve) => {
    child.on('exit', (code) => {
      for (const wake of waiters) wake();
      resolve(code);
    });
  });
  const next = (type: string, timeoutMs = 8_000) =>
    new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => {
        waiters.delete(check);
        reject(new Error(`worker ${input.scenario}: no '${type}' within ${timeoutMs} ms; stderr: ${stderr}`));
      }, timeoutMs);
      const check = () => {
        const found = messages.find((m) => m.type === type);
        const failed = messages.find((m) => m.type === 'error');
        if (found || failed || child.exitCode !== null || child.signalCode !== null) {
          clearTimeout(timer);
          waiters.delete(check);
          if (found) resolve(found);
          else
            reject(
              new Error(
                `worker ${input.scenario} ended without '${type}': ${JSON.stringify(failed ?? messages)} ${stderr}`,
              ),
            );
        }
      };
      waiters.add(check);
      check();
    });
  return { child, messages, next, exited };
}

/** Wait until every gated worker is ready, then let them all go at once. */
export async function release(workers: Worker[]): Promise<void> {
  await Promise.all(workers.map((worker) => worker.next('ready')));
  for (const worker of workers) worker.child.stdin!.write('go\n');
}

/** Kill every worker still running (after a test). */
export function killAll(workers: Worker[]): void {
  for (const worker of workers.splice(0)) {
    if (worker.child.exitCode === null && worker.child.signalCode === null) worker.child.kill('SIGKILL');
  }
}
