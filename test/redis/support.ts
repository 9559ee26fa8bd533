import { randomUUID } from 'node:crypto';
import { Redis, type RedisOptions } from 'ioredis';
import { describe, inject, it } from 'vitest';

/**
 * `describe` for suites that need the Redis server of the global setup (test/support/redis-server.ts).
 * Without one the suite does not skip: it fails, with the reason and the fix.
 */
export function describeRedis(name: string, body: (url: string) => void): void {
  const redis = inject('redis');
  describe(name, () => {
    if ('missing' in redis) {
      it('needs a Redis server', () => {
        throw new Error(redis.missing);
      });
      return;
    }
    body(redis.url);
  });
}

/** The client options docs/redis.md recommends: fail fast, never queue, never hang. */
export const CLIENT_OPTIONS: RedisOptions = {
  lazyConnect: true,
  enableOfflineQueue: false,
  maxRetriesPerRequest: 0,
  commandTimeout: 1_000,
  connectTimeout: 1_000,
  retryStrategy: (times) => Math.min(times * 50, 500),
};

/** A connected client with the recommended options. */
export async function connect(url: string, options: RedisOptions = {}): Promise<Redis> {
  const client = new Redis(url, { ...CLIENT_OPTIONS, ...options });
  client.on('error', () => {});
  await client.connect();
  return client;
}

/** A key prefix of its own for one test. */
export function freshPrefix(name = 'test'): string {
  return `${name}-${randomUUID().slice(0, 8)}`;
}

export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** The hash tag of a key, by Redis Cluster's rule: what is between the first `{` and the next `}`. */
export function hashTag(key: string): string {
  const open = key.indexOf('{');
  const close = open >= 0 ? key.indexOf('}', open + 1) : -1;
  return close > open + 1 ? key.slice(open + 1, close) : key;
}
