import { WardenConfigError } from '../../errors.js';
import type { Clock } from '../../internal/clock.js';
import type { RegisteredTool } from '../registry.js';
import { Breaker, type BreakerState } from './breaker.js';

/** One breaker per `breaker.key`, shared by every tool with that key. */
export class BreakerRegistry {
  readonly #breakers = new Map<string, Breaker>();

  constructor(
    tools: readonly RegisteredTool[],
    clock: Clock,
    onTransition: (key: string, state: BreakerState, context: unknown) => void,
  ) {
    const owners = new Map<string, string>();
    for (const tool of tools) {
      const options = tool.breaker;
      const existing = this.#breakers.get(options.key);
      if (existing) {
        const differs = (Object.keys(options) as Array<keyof typeof options>).find(
          (k) => existing.options[k] !== options[k],
        );
        if (differs) {
          throw new WardenConfigError({
            path: `tools(${tool.name}).breaker.${differs}`,
            message:
              `tools sharing breaker key '${options.key}' must share its options, but '${owners.get(options.key)}' ` +
              `has ${differs} = ${String(existing.options[differs])} and this tool has ${String(options[differs])}`,
          });
        }
        continue;
      }
      owners.set(options.key, tool.name);
      this.#breakers.set(options.key, new Breaker(options, clock, onTransition));
    }
  }

  get(key: string): Breaker {
    const breaker = this.#breakers.get(key);
    if (!breaker) throw new Error(`agent-warden: no breaker for key '${key}'`);
    return breaker;
  }

  /** Shut every breaker down (clears opossum's timers). */
  shutdown(): void {
    for (const breaker of this.#breakers.values()) breaker.shutdown();
  }
}
