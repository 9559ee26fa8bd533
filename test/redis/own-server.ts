import type { ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, redisServerVersion, spawnRedisServer, stopRedisServer } from '../support/spawn-redis.js';

/** A redis-server of a test's own, which the test may crash and restart (on the same port and data). */
export interface OwnServer {
  readonly url: string;
  /** Crash it (SIGKILL) and wait until it is gone. */
  kill(): Promise<void>;
  /** Start it again on the same port, with the data it had (append-only file, fsync always). */
  start(): Promise<void>;
  /** Stop it and delete its data. */
  dispose(): Promise<void>;
}

export async function startOwnServer(): Promise<OwnServer> {
  if (redisServerVersion() === null) {
    throw new Error(
      'the fault tests start a redis-server of their own (to crash and restart it): install redis-server ' +
        '(apt-get install redis-server)',
    );
  }
  const port = await freePort();
  const dir = mkdtempSync(join(tmpdir(), 'agent-warden-redis-'));
  let child: ChildProcess | undefined;

  const start = async () => {
    child = await spawnRedisServer(
      port,
      ['--dir', dir, '--save', '', '--appendonly', 'yes', '--appendfsync', 'always'],
      5_000,
    );
  };

  const kill = async () => {
    const server = child;
    child = undefined;
    await stopRedisServer(server, 'SIGKILL');
  };

  await start();
  return {
    url: `redis://127.0.0.1:${port}`,
    kill,
    start,
    dispose: async () => {
      await kill();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
