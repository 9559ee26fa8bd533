import { WardenConfigError } from 'agent-warden';
import { describe, expect, it } from 'vitest';
import { checkOverrides, GUARD_OPTION_KEYS } from '../../../src/adapters/shared/overrides.js';

const TOOLS = ['lookup_order', 'refund_order'];
const PATH = 'fromTestTools(overrides)';

function thrown(fn: () => unknown): WardenConfigError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(WardenConfigError);
    return error as WardenConfigError;
  }
  throw new Error('expected a WardenConfigError');
}

describe('checkOverrides (every adapter that takes framework tools)', () => {
  it('returns the overrides by tool name; no map, or an undefined override, is no override', () => {
    const read = { effect: 'read' as const };
    const byName = checkOverrides({ lookup_order: read, refund_order: undefined }, TOOLS, PATH);
    expect([...byName]).toEqual([['lookup_order', read]]);
    expect(checkOverrides(undefined, TOOLS, PATH).size).toBe(0);
  });

  it('accepts every guard option, and the extra keys of the adapter', () => {
    const all = Object.fromEntries(GUARD_OPTION_KEYS.map((key) => [key, undefined]));
    expect(() => checkOverrides({ lookup_order: all }, TOOLS, PATH)).not.toThrow();
    expect(() => checkOverrides({ lookup_order: { input: 1 } }, TOOLS, PATH, ['input'])).not.toThrow();
  });

  it('names every tool that is not in the list, at the first one, and the tools there are', () => {
    const error = thrown(() => checkOverrides({ lookup_ordr: {}, refund: {} }, TOOLS, PATH));
    expect(error.path).toBe(`${PATH}.lookup_ordr`);
    expect(error.message).toBe(
      `${PATH}.lookup_ordr: 'lookup_ordr', 'refund' are not among the tools; the tools are: lookup_order, refund_order`,
    );
    expect(thrown(() => checkOverrides({ x: {} }, [], PATH)).message).toMatch(/the tools are: \(none\)$/);
  });

  it('names an unknown option and the options accepted', () => {
    const error = thrown(() => checkOverrides({ refund_order: { efect: 'read' } }, TOOLS, PATH, ['input']));
    expect(error.path).toBe(`${PATH}.refund_order.efect`);
    expect(error.message).toBe(
      `${PATH}.refund_order.efect: not a guard option; accepted: ${[...GUARD_OPTION_KEYS, 'input'].join(', ')}`,
    );
  });

  it.each([null, [], 'read'])('rejects %j as the map, and as one override', (value) => {
    expect(thrown(() => checkOverrides(value, TOOLS, PATH)).path).toBe(PATH);
    const error = thrown(() => checkOverrides({ lookup_order: value }, TOOLS, PATH));
    expect(error.path).toBe(`${PATH}.lookup_order`);
    expect(error.message).toMatch(/expected an object with some of the guard options: effect, approval/);
  });
});
