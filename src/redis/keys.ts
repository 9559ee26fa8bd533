import type { BudgetWindow } from '../store/types.js';

/**
 * The Redis key layout. Every key starts with a hash tag (`{...}`), one per scope, so that every script
 * touches keys of one cluster slot only:
 *
 * | what | key | hash tag |
 * |---|---|---|
 * | budget counter | `{p:b:<scope>}:<dimension>:<window>` | per budget scope |
 * | reservation / settled marker | `{p:b:<scope>}:r:<id>` / `{p:b:<scope>}:s:<id>` | per budget scope |
 * | kill flags | `{p:k}` (hash: scope → record) | one for all |
 * | concurrency slot | `{p:s:<key>}` | per slot key |
 * | idempotency claim | `{p:i:<key>}` | per key |
 * | nonce | `{p:n:<nonce>}` | per nonce |
 * | records | `{p:r}:data`, `{p:r}:exp`, `{p:r}:idx` | one for all |
 *
 * A budget scope is the item key up to its last `:` (`user:t1:u1:costUsd` → scope `user:t1:u1`,
 * dimension `costUsd`), so all dimensions and windows of one user, session or tenant share a slot.
 */
export class KeyLayout {
  readonly #p: string;

  constructor(prefix: string) {
    this.#p = prefix;
  }

  /** The hash tag and counter key of a budget item. */
  budget(itemKey: string, window: BudgetWindow): { tag: string; counter: string } {
    const cut = itemKey.lastIndexOf(':');
    const scope = cut > 0 ? itemKey.slice(0, cut) : itemKey;
    const dimension = cut > 0 ? itemKey.slice(cut + 1) : '';
    const tag = `{${this.#p}:b:${scope}}`;
    return { tag, counter: `${tag}:${dimension}:${window}` };
  }

  reservation(tag: string, reservationId: string): string {
    return `${tag}:r:${reservationId}`;
  }

  settled(tag: string, reservationId: string): string {
    return `${tag}:s:${reservationId}`;
  }

  kills(): string {
    return `{${this.#p}:k}`;
  }

  slot(key: string): string {
    return `{${this.#p}:s:${key}}`;
  }

  claim(key: string): string {
    return `{${this.#p}:i:${key}}`;
  }

  nonce(nonce: string): string {
    return `{${this.#p}:n:${nonce}}`;
  }

  /** The three keys of the records: data, expiries, key index. */
  records(): [string, string, string] {
    const tag = `{${this.#p}:r}`;
    return [`${tag}:data`, `${tag}:exp`, `${tag}:idx`];
  }
}
