import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';

/** A free TCP port on 127.0.0.1. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no free port')),
      );
    });
  });
}

/** `redis-server --version`'s version, or null when redis-server is not installed. */
export function redisServerVersion(): string | null {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) return null;
  return /v=(\S+)/.exec(probe.stdout)?.[1] ?? '?';
}

/**
 * Start `redis-server` on 127.0.0.1:`port` with `args` (e.g. persistence options) and resolve once it
 * accepts connections. Used by the test setup, the fault tests and the Redis benchmark.
 */
export async function spawnRedisServer(
  port: number,
  args: readonly string[] = ['--save', '', '--appendonly', 'no'],
  timeoutMs = 10_000,
): Promise<ChildProcess> {
  const server = spawn(
    'redis-server',
    ['--port', String(port), '--bind', '127.0.0.1', '--protected-mode', 'yes', ...args],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`redis-server did not start within ${timeoutMs} ms`)),
      timeoutMs,
    );
    let output = '';
    server.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    server.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}: ${output.slice(-500)}`));
    });
  });
  server.stdout!.removeAllListeners('data');
  server.stdout!.resume();
  server.stderr!.resume();
  server.removeAllListeners('exit');
  return server;
}

/** Stop a redis-server: `signal` first, SIGKILL after 3 s; resolves when it has exited. */
export function stopRedisServer(
  server: ChildProcess | undefined,
  signal: NodeJS.Signals = 'SIGTERM',
): Promise<void> {
  if (!server || server.exitCode !== null || server.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    server.once('exit', () => resolve());
    server.kill(signal);
    setTimeout(() => server.kill('SIGKILL'), 3_000).unref();
  });
}
