import type { Cluster, Redis } from 'ioredis';
import { WardenConfigError } from '../errors.js';
import { boundRecordText, DEFAULT_MAX_RESULT_BYTES, maxResultBytesProblem } from '../store/result-size.js';
import type {
  AfterCallAnswers,
  AfterCallRequest,
  BeforeCallAnswers,
  BeforeCallRequest,
  BudgetItem,
  BudgetUsage,
  ClaimRequest,
  CompleteRequest,
  IdempotencyClaim,
  IdempotencyRecord,
  KillRecord,
  ReleaseRequest,
  ReserveRequest,
  ReserveResult,
  SettleRequest,
  SlotRequest,
  Store,
} from '../store/types.js';
import { RedisBudgets } from './budgets.js';
import { durationMs, encodeLimit, fenceText, parseRecord, toJson } from './codec.js';
import { KeyLayout } from './keys.js';
import { type Part, Sender } from './sender.js';

/** Options of {@link redisStore}. */
export interface RedisStoreOptions {
  /**
   * An ioredis client (`new Redis(...)` or `new Cluster(...)`), owned by the caller: the store never
   * connects or quits it. Recommended options (see docs/redis.md): `enableOfflineQueue: false`,
   * `maxRetriesPerRequest: 0`, a `commandTimeout` below `limits.storeTimeoutMs`, and a `retryStrategy`.
   */
  client: Redis | Cluster;
  /**
   * Prefix of every key, inside each key's hash tag (`{aw:b:user:t1:u1}:costUsd:day`). Give each
   * application (or test) sharing one Redis its own prefix. Must not contain `{` or `}`.
   * @default 'aw'
   */
  prefix?: string;
  /**
   * Largest idempotency result kept in full, in bytes of its JSON. A larger result is kept as a SHA-256
   * digest (`oversized: true`): the call replays as `tool_error` with `details.reason:
   * 'replay_unavailable'` and is never run again.
   * @default 262_144 (256 KiB)
   */
  maxResultBytes?: number;
  /**
   * Passed through as the store's `failOpen`: with `{ reads: true }`, read tools go on when Redis is
   * unavailable. Write tools always fail closed with `store_unavailable`.
   * @default undefined (everything fails closed)
   */
  failOpen?: { reads?: boolean };
}

/**
 * A {@link Store} on Redis (ioredis), for several processes or machines sharing budgets, kill flags,
 * idempotency keys, approvals and concurrency slots.
 *
 * Every read-modify-write is one Lua script (`EVALSHA`, with `EVAL` when the server does not have it
 * yet: ioredis `defineCommand`), reading time from the server (`TIME`), with every key in `KEYS` under a
 * hash tag per scope, so it runs on Redis Cluster. Each method is one round trip; a budget request that
 * spans several scopes runs one script per scope, concurrently; `beforeCall` and `afterCall` send the
 * scripts of several operations in one pipeline (see docs/redis.md).
 *
 * ```ts
 * import { Redis } from 'ioredis';
 * import { redisStore } from 'agent-warden/redis';
 *
 * const client = new Redis(process.env.REDIS_URL!, {
 *   enableOfflineQueue: false, maxRetriesPerRequest: 0, commandTimeout: 1_000,
 *   retryStrategy: (times) => Math.min(times * 100, 2_000),
 * });
 * const warden = createWarden({ store: redisStore({ client }), ... });
 * ```
 */
export function redisStore(options: RedisStoreOptions): Store {
  if (typeof options !== 'object' || options === null) {
    throw new WardenConfigError({ path: 'redisStore', message: 'expected { client, prefix? }' });
  }
  const { client } = options;
  if (
    typeof client !== 'object' ||
    client === null ||
    typeof (client as { defineCommand?: unknown }).defineCommand !== 'function'
  ) {
    throw new WardenConfigError({
      path: 'redisStore.client',
      message: "expected an ioredis client (new Redis(...) or new Cluster(...) from 'ioredis')",
    });
  }
  const prefix = options.prefix ?? 'aw';
  if (typeof prefix !== 'string' || prefix.length === 0 || /[{}]/.test(prefix)) {
    throw new WardenConfigError({
      path: 'redisStore.prefix',
      message: `expected a non-empty string without '{' or '}', got ${JSON.stringify(prefix)}`,
    });
  }
  const maxResultBytes = options.maxResultBytes ?? DEFAULT_MAX_RESULT_BYTES;
  const problem = maxResultBytesProblem(maxResultBytes);
  if (problem) throw new WardenConfigError({ path: 'redisStore.maxResultBytes', message: problem });
  const failOpen = options.failOpen;
  if (failOpen !== undefined && (typeof failOpen !== 'object' || failOpen === null)) {
    throw new WardenConfigError({ path: 'redisStore.failOpen', message: 'expected { reads?: boolean }' });
  }
  return new RedisStore(client, new KeyLayout(prefix), maxResultBytes, failOpen);
}

class RedisStore implements Store {
  readonly failOpen: { reads?: boolean } | undefined;
  readonly #client: Redis | Cluster;
  readonly #keys: KeyLayout;
  readonly #maxResultBytes: number;
  readonly #sender: Sender;
  readonly #budgets: RedisBudgets;

  constructor(
    client: Redis | Cluster,
    keys: KeyLayout,
    maxResultBytes: number,
    failOpen: { reads?: boolean } | undefined,
  ) {
    this.#client = client;
    this.#keys = keys;
    this.#maxResultBytes = maxResultBytes;
    this.failOpen = failOpen ? { ...failOpen } : undefined;
    this.#sender = new Sender(client);
    this.#budgets = new RedisBudgets(this.#sender, keys);
  }

  /** Time comes from the Redis server, so the warden's clock is not used. */
  attach(): void {}

  // Batches: the scripts of several operations in one pipeline, each operation answered on its own

  async beforeCall({ killScopes, reserve, claim }: BeforeCallRequest): Promise<BeforeCallAnswers> {
    return this.#sender.batch({
      kill: killScopes && (() => this.#findKill(killScopes)),
      reserve: reserve && (() => this.#budgets.reserve(reserve)),
      claim: claim && (() => this.#claim(claim)),
    }) as BeforeCallAnswers;
  }

  async afterCall({ settle, complete, release }: AfterCallRequest): Promise<AfterCallAnswers> {
    return this.#sender.batch({
      settle: settle && (() => this.#budgets.settle(settle)),
      complete: complete && (() => this.#complete(complete)),
      release: release && (() => this.#release(release)),
    }) as AfterCallAnswers;
  }

  // Budgets

  async reserve(request: ReserveRequest): Promise<ReserveResult> {
    return this.#sender.one(this.#budgets.reserve(request));
  }

  async settle(request: SettleRequest): Promise<BudgetUsage[]> {
    return this.#sender.one(this.#budgets.settle(request));
  }

  async budgetUsage(items: Array<Pick<BudgetItem, 'key' | 'window'>>): Promise<BudgetUsage[]> {
    return this.#sender.one(this.#budgets.usage(items));
  }

  // Kill switch

  async setKill(record: KillRecord): Promise<void> {
    const json = JSON.stringify({
      scope: record.scope,
      ...(record.reason !== undefined ? { reason: record.reason } : {}),
      at: record.at,
    });
    await this.#client.hset(this.#keys.kills(), record.scope, json);
  }

  async clearKill(scope: string): Promise<void> {
    await this.#client.hdel(this.#keys.kills(), scope);
  }

  async findKill(scopes: string[]): Promise<KillRecord | null> {
    return this.#sender.one(this.#findKill(scopes));
  }

  #findKill(scopes: string[]): Part<KillRecord | null> {
    if (scopes.length === 0) return { commands: [], finish: async () => null };
    return {
      commands: [{ name: 'hmget', keys: [this.#keys.kills()], args: scopes }],
      finish: async ([reply]) => {
        const found = (await reply) as Array<string | null>;
        const first = found.find((value) => value !== null && value !== undefined);
        return first ? (JSON.parse(first) as KillRecord) : null;
      },
    };
  }

  // Concurrency slots

  async acquireSlot({ key, holder, limit, leaseMs }: SlotRequest): Promise<boolean> {
    const lease = durationMs('leaseMs', leaseMs);
    if (typeof limit !== 'number' || Number.isNaN(limit)) {
      throw new Error(`redisStore: limit must be a number, got ${String(limit)}`);
    }
    const reply = await this.#sender.run(
      'acquireSlot',
      [this.#keys.slot(key)],
      [holder, encodeLimit(limit), lease],
    );
    return Number(reply) === 1;
  }

  async releaseSlot({ key, holder }: { key: string; holder: string }): Promise<void> {
    await this.#client.zrem(this.#keys.slot(key), holder);
  }

  // Idempotency

  async claim(request: ClaimRequest): Promise<IdempotencyClaim> {
    return this.#sender.one(this.#claim(request));
  }

  #claim({ key, fingerprint, owner, leaseMs }: ClaimRequest): Part<IdempotencyClaim> {
    const lease = durationMs('leaseMs', leaseMs);
    return {
      commands: [{ name: 'claim', keys: [this.#keys.claim(key)], args: [fingerprint, owner, lease] }],
      finish: async ([reply]) => {
        const answer = (await reply) as string[];
        const [status, first, record] = answer;
        if (status === 'claimed') return { status, fence: Number(first) };
        if (status === 'in_flight') return { status, fingerprint: first! };
        if (status === 'completed' || status === 'indeterminate') {
          return { status, fingerprint: first!, record: JSON.parse(record!) as IdempotencyRecord };
        }
        throw new Error(`redisStore: unexpected claim reply ${JSON.stringify(answer)}`);
      },
    };
  }

  async complete(request: CompleteRequest): Promise<boolean> {
    return this.#sender.one(this.#complete(request));
  }

  #complete({ key, owner, fence, state, record, ttlMs }: CompleteRequest): Part<boolean> {
    const ttl = durationMs('ttlMs', ttlMs);
    // A result JSON cannot represent throws here (JSON.stringify), before anything is sent.
    const json = boundRecordText(record, this.#maxResultBytes) ?? JSON.stringify(record);
    const args = [owner, fenceText(fence), state === 'completed' ? 'c' : 'i', json, ttl];
    return {
      commands: [{ name: 'complete', keys: [this.#keys.claim(key)], args }],
      finish: async ([reply]) => Number(await reply) === 1,
    };
  }

  async release(request: ReleaseRequest): Promise<boolean> {
    return this.#sender.one(this.#release(request));
  }

  #release({ key, owner, fence }: ReleaseRequest): Part<boolean> {
    return {
      commands: [{ name: 'release', keys: [this.#keys.claim(key)], args: [owner, fenceText(fence)] }],
      finish: async ([reply]) => Number(await reply) === 1,
    };
  }

  // Nonces

  async consumeNonce(nonce: string, ttlMs: number): Promise<boolean> {
    const ttl = durationMs('ttlMs', ttlMs);
    const reply = await this.#client.set(this.#keys.nonce(nonce), '1', 'PX', ttl, 'NX');
    return reply === 'OK';
  }

  // Records

  async putRecord(key: string, value: unknown, ttlMs: number): Promise<void> {
    const ttl = durationMs('ttlMs', ttlMs);
    await this.#sender.run('putRecord', this.#keys.records(), [key, toJson(value), ttl]);
  }

  async getRecord<T = unknown>(key: string): Promise<{ value: T; version: number } | null> {
    const raw = (await this.#sender.run('getRecord', this.#keys.records(), [key])) as string | null;
    return raw === null || raw === undefined ? null : parseRecord<T>(raw);
  }

  async updateRecord(key: string, version: number, value: unknown, ttlMs: number): Promise<number | null> {
    const ttl = durationMs('ttlMs', ttlMs);
    if (!Number.isInteger(version)) return null;
    const args = [key, version, toJson(value), ttl];
    const reply = await this.#sender.run('updateRecord', this.#keys.records(), args);
    return reply === null || reply === undefined ? null : Number(reply);
  }

  async listRecords<T = unknown>(prefix: string): Promise<Array<{ key: string; value: T; version: number }>> {
    const reply = (await this.#sender.run('listRecords', this.#keys.records(), [prefix])) as string[];
    const found: Array<{ key: string; value: T; version: number }> = [];
    for (let i = 0; i < reply.length; i += 2)
      found.push({ key: reply[i]!, ...parseRecord<T>(reply[i + 1]!) });
    return found;
  }

  /** Forgets what this process remembers; the client belongs to the caller, who quits it. */
  async close(): Promise<void> {
    this.#budgets.clear();
  }
}
