import { describe, expect, expectTypeOf, it } from 'vitest';
import { memoryAudit } from '../../src/audit/memory-audit.js';
import type { AuditEvent } from '../../src/audit/types.js';
import { WardenConfigError } from '../../src/errors.js';

function toolCall(seq: number, tool = 'search'): AuditEvent {
  return {
    seq,
    ts: 1_700_000_000_000 + seq,
    type: 'tool_call',
    tool,
    callId: `c${seq}`,
    outcome: 'ok',
    durationMs: 5,
  };
}

describe('memoryAudit', () => {
  it('keeps events oldest first', () => {
    const audit = memoryAudit();
    for (let seq = 1; seq <= 3; seq++) audit.write(toolCall(seq));
    expect(audit.events.map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it('drops the oldest events beyond max', () => {
    const audit = memoryAudit({ max: 3 });
    for (let seq = 1; seq <= 8; seq++) audit.write(toolCall(seq));
    expect(audit.events.map((e) => e.seq)).toEqual([6, 7, 8]);
    audit.write(toolCall(9));
    expect(audit.events.map((e) => e.seq)).toEqual([7, 8, 9]);
  });

  it('defaults to keeping 10 000 events', () => {
    const audit = memoryAudit();
    for (let seq = 1; seq <= 10_001; seq++) audit.write(toolCall(seq));
    expect(audit.events).toHaveLength(10_000);
    expect(audit.events[0]!.seq).toBe(2);
    expect(audit.events.at(-1)!.seq).toBe(10_001);
  });

  it('stores frozen copies, unaffected by later changes to the written object', () => {
    const audit = memoryAudit();
    const event = toolCall(1);
    audit.write(event);
    (event as { tool: string }).tool = 'changed';
    const [stored] = audit.events;
    expect(stored).toMatchObject({ tool: 'search' });
    expect(Object.isFrozen(stored)).toBe(true);
    expect(Object.isFrozen(audit.events)).toBe(true);
  });

  it('filters by type with ofType', () => {
    const audit = memoryAudit({ max: 4 });
    audit.write({ seq: 1, ts: 1, type: 'run_started', agent: 'a' });
    audit.write(toolCall(2, 'one'));
    audit.write({ seq: 3, ts: 3, type: 'killed', scope: 'run' });
    audit.write(toolCall(4, 'two'));
    audit.write(toolCall(5, 'three'));
    const calls = audit.ofType('tool_call');
    expectTypeOf(calls[0]!.tool).toEqualTypeOf<string>();
    expect(calls.map((e) => e.tool)).toEqual(['one', 'two', 'three']);
    expect(audit.ofType('run_started')).toEqual([]);
  });

  it('clear drops every event and keeps working', () => {
    const audit = memoryAudit({ max: 2 });
    for (let seq = 1; seq <= 3; seq++) audit.write(toolCall(seq));
    audit.clear();
    expect(audit.events).toEqual([]);
    audit.write(toolCall(4));
    audit.write(toolCall(5));
    audit.write(toolCall(6));
    expect(audit.events.map((e) => e.seq)).toEqual([5, 6]);
  });

  it.each([0, -1, 1.5, Number.NaN, Number.POSITIVE_INFINITY])('rejects max = %s', (max) => {
    expect(() => memoryAudit({ max })).toThrow(WardenConfigError);
    expect(() => memoryAudit({ max })).toThrow(/memoryAudit\.max/);
  });
});
