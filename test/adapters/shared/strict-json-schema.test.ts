import { describe, expect, it } from 'vitest';
import { strictProblem } from '../../../src/adapters/shared/strict-json-schema.js';

const closed = (properties: Record<string, unknown>, required = Object.keys(properties)) => ({
  type: 'object',
  properties,
  required,
  additionalProperties: false,
});

describe('strictProblem: the openai adapter sends the schema as it is, the Agents SDK converts it', () => {
  it('both: a value of any type, an object open to extra properties', () => {
    for (const mode of ['as-is', 'sdk-converted'] as const) {
      expect(strictProblem(closed({ a: {} }), mode)).toMatch(/^arguments\.a accepts any value/);
      expect(strictProblem(closed({ a: { type: 'object' } }), mode)).toMatch(
        /^arguments\.a allows extra properties/,
      );
      expect(strictProblem(closed({ a: { type: 'string' } }), mode)).toBeUndefined();
    }
  });

  it('as it is only: optional properties, unsupported keywords and the root (the SDK handles those)', () => {
    const optional = closed({ a: { type: 'string' } }, []);
    const tuple = closed({ a: { type: 'array', prefixItems: [{ type: 'string' }] } });
    expect(strictProblem(optional, 'as-is')).toMatch(/^arguments\.a is optional/);
    expect(strictProblem(tuple, 'as-is')).toMatch(/uses 'prefixItems'/);
    expect(strictProblem({ type: 'string' }, 'as-is')).toMatch(/not described as one JSON object/);
    expect(strictProblem(optional, 'sdk-converted')).toBeUndefined();
    expect(strictProblem(tuple, 'sdk-converted')).toBeUndefined();
  });
});
