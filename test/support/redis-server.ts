import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createServer } from 'node:net';
import type { TestProject } from 'vitest/node';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the Redis server the tests use, or an explanation of why there is none. */
    redis: { url: string } | { missing: string };
  }
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        typeof address === 'object' && address ? resolve(address.port) : reject(new Error('no port')),
      );
    });
  });
}

let child: ChildProcess | undefined;

/**
 * Global setup: use `AGENT_WARDEN_REDIS_URL` when set; otherwise start a
 * throwaway `redis-server` on a random loopback port for the whole run (no
 * persistence). Without either, the Redis suites fail loudly, naming the fix.
 */
export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const given = process.env.AGENT_WARDEN_REDIS_URL;
  if (given) {
    project.provide('redis', { url: given });
    return async () => {};
  }
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  if (probe.error || probe.status !== 0) {
    project.provide('redis', {
      missing:
        'redis-server is not installed and AGENT_WARDEN_REDIS_URL is not set: install it ' +
        '(apt-get install redis-server) or point AGENT_WARDEN_REDIS_URL at a Redis server',
    });
    return async () => {};
  }
  const port = await freePort();
  child = spawn(
    'redis-server',
    [
      '--port',
      String(port),
      '--bind',
      '127.0.0.1',
      '--save',
      '',
      '--appendonly',
      'no',
      '--protected-mode',
      'yes',
    ],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('redis-server did not start within 10 s')), 10_000);
    let output = '';
    child!.stdout!.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      if (output.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    child!.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited with ${code}: ${output.slice(-500)}`));
    });
  });
  child.stdout!.removeAllListeners('data');
  child.stdout!.resume();
  child.stderr!.resume();
  child.removeAllListeners('exit');
  const url = `redis://127.0.0.1:${port}`;
  process.env.AGENT_WARDEN_REDIS_URL = url;
  project.provide('redis', { url });
  return async () => {
    const c = child;
    child = undefined;
    if (!c || c.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      c.once('exit', () => resolve());
      c.kill('SIGTERM');
      setTimeout(() => {
        c.kill('SIGKILL');
        resolve();
      }, 3_000).unref();
    });
  };
}
