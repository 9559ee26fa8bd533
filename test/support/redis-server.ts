import type { ChildProcess } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { freePort, redisServerVersion, spawnRedisServer, stopRedisServer } from './spawn-redis.js';

declare module 'vitest' {
  export interface ProvidedContext {
    /** URL of the Redis server the tests use, or an explanation of why there is none. */
    redis: { url: string } | { missing: string };
  }
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
  if (redisServerVersion() === null) {
    project.provide('redis', {
      missing:
        'redis-server is not installed and AGENT_WARDEN_REDIS_URL is not set: install it ' +
        '(apt-get install redis-server) or point AGENT_WARDEN_REDIS_URL at a Redis server',
    });
    return async () => {};
  }
  const port = await freePort();
  child = await spawnRedisServer(port);
  const url = `redis://127.0.0.1:${port}`;
  process.env.AGENT_WARDEN_REDIS_URL = url;
  project.provide('redis', { url });
  return async () => {
    const c = child;
    child = undefined;
    await stopRedisServer(c);
  };
}
