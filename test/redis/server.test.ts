import { Redis } from 'ioredis';
import { afterAll, describe, expect, inject, it } from 'vitest';

const redis = inject('redis');

describe('the Redis server the suites use', () => {
  if ('missing' in redis) {
    it('is available', () => {
      throw new Error(redis.missing);
    });
    return;
  }
  const client = new Redis(redis.url, { lazyConnect: true, maxRetriesPerRequest: 1 });
  afterAll(() => client.quit());

  it('answers PING on loopback', async () => {
    await client.connect();
    expect(await client.ping()).toBe('PONG');
    expect(new URL(redis.url).hostname).toBe('127.0.0.1');
  });
});
