import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { redisStore } from '../../src/redis/index.js';
import { batchedChecks } from '../tools/batched-checks.js';
import { connect, describeRedis, freshPrefix } from './support.js';

// The batched store work of a tool call (one pipeline before execute, one after) against Redis.
describeRedis('redisStore', (url) => {
  let client: Redis;
  beforeAll(async () => {
    client = await connect(url);
  });
  afterAll(async () => {
    await client.quit();
  });

  batchedChecks('redisStore', () => redisStore({ client, prefix: freshPrefix('batched') }));
});
