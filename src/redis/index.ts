// agent-warden/redis: a Store on Redis (ioredis, an optional peer dependency), so that budgets, kill
// flags, idempotency keys, approvals and concurrency slots hold across processes and machines.
// ioredis is imported for its types only: the client is passed in. See docs/redis.md.

export { type RedisStoreOptions, redisStore } from './redis-store.js';
