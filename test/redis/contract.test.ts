import type { Redis } from 'ioredis';
import { afterAll, beforeAll } from 'vitest';
import { redisStore } from '../../src/redis/index.js';
import { storeContract } from '../store/contract.js';
import { connect, describeRedis, freshPrefix, sleep } from './support.js';

// The shared Store contract (test/store/contract.ts), against Redis on real (server) time.
describeRedis('redisStore', (url) => {
  let client: Redis;
  beforeAll(async () => {
    client = await connect(url);
  });
  afterAll(async () => {
    await client.quit();
  });

  // Real time: the three tests that jump the calendar or probe an exact instant are covered on real
  // time in redis-store.test.ts (leases, slot renewal, Lua windows against windowBounds).
  storeContract(
    'redisStore',
    async () => ({
      store: redisStore({ client, prefix: freshPrefix('contract') }),
      sleep,
    }),
    { manualClock: false },
  );
});
