import { RunStop, WardenConfigError, WardenError } from 'agent-warden';
import { describe, expect, it } from 'vitest';

const killed = () =>
  new RunStop({ details: { code: 'killed', scope: 'global' }, message: 'run killed (global)' });

const MARKER = Symbol.for('agent-warden.error');
const RUN_STOP_MARKER = Symbol.for('agent-warden.error.run-stop');
const CONFIG_MARKER = Symbol.for('agent-warden.error.config');

/** What a second copy of the package (another version in node_modules) would throw. */
class DuplicateInstallRunStop extends Error {
  readonly [MARKER] = true;
  readonly [RUN_STOP_MARKER] = true;
  readonly code = 'killed';
  override name = 'RunStop';
}
class DuplicateInstallConfigError extends Error {
  readonly [MARKER] = true;
  readonly [CONFIG_MARKER] = true;
  readonly code = 'config_error';
}

describe('error classes', () => {
  it('take one object, set name, code, message and cause explicitly', () => {
    const cause = new Error('root');
    const base = new WardenError({ code: 'closed', message: 'closed', cause });
    expect(base).toMatchObject({ name: 'WardenError', code: 'closed', message: 'closed', cause });
    const stop = new RunStop({
      details: { code: 'budget_exceeded', dimension: 'steps', scope: 'run', limit: 1, used: 1 },
      message: 'over',
      cause,
    });
    expect(stop).toMatchObject({ name: 'RunStop', code: 'budget_exceeded', message: 'over', cause });
    expect(stop.toJSON()).toEqual({
      code: 'budget_exceeded',
      dimension: 'steps',
      scope: 'run',
      limit: 1,
      used: 1,
      message: 'over',
    });
    const config = new WardenConfigError({ path: 'budgets.run.steps', message: 'expected an integer >= 0' });
    expect(config).toMatchObject({
      name: 'WardenConfigError',
      code: 'config_error',
      path: 'budgets.run.steps',
    });
    expect(config.message).toBe('budgets.run.steps: expected an integer >= 0');
    expect('cause' in config).toBe(false);
  });

  it('isInstance tells the classes apart', () => {
    const stop = killed();
    const config = new WardenConfigError({ path: 'x', message: 'y' });
    expect(WardenError.isInstance(stop)).toBe(true);
    expect(WardenError.isInstance(config)).toBe(true);
    expect(RunStop.isInstance(stop)).toBe(true);
    expect(RunStop.isInstance(config)).toBe(false);
    expect(WardenConfigError.isInstance(config)).toBe(true);
    expect(WardenConfigError.isInstance(stop)).toBe(false);
    expect(RunStop.isInstance(new WardenError({ code: 'killed', message: 'not a stop' }))).toBe(false);
  });

  it.each<[string, unknown]>([
    ['a plain Error', new Error('x')],
    ['an Error named RunStop', Object.assign(new Error('x'), { name: 'RunStop', code: 'killed' })],
    ['an AbortError DOMException', new DOMException('aborted', 'AbortError')],
    ['null', null],
    ['undefined', undefined],
    ['a string', 'RunStop'],
    ['an object with a string marker key', { 'agent-warden.error': true }],
    ['a marker set to a truthy non-true value', { [MARKER]: 1 }],
  ])('isInstance is false for %s (names are never compared)', (_label, value) => {
    expect(WardenError.isInstance(value)).toBe(false);
    expect(RunStop.isInstance(value)).toBe(false);
    expect(WardenConfigError.isInstance(value)).toBe(false);
  });

  it('isInstance holds across a duplicate install (the Symbol.for marker), where instanceof does not', () => {
    const stop = new DuplicateInstallRunStop('from another copy');
    expect(stop instanceof RunStop).toBe(false);
    expect(WardenError.isInstance(stop)).toBe(true);
    expect(RunStop.isInstance(stop)).toBe(true);
    expect(WardenConfigError.isInstance(stop)).toBe(false);
    const config = new DuplicateInstallConfigError('bad');
    expect(WardenConfigError.isInstance(config)).toBe(true);
    expect(RunStop.isInstance(config)).toBe(false);
    expect(WardenError.isInstance({ [MARKER]: true })).toBe(true);
  });
});
