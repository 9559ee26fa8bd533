import { createWarden, defineTool, WardenConfigError } from 'agent-warden';
import { toChatCompletionsTools, toResponsesTools } from 'agent-warden/openai';
import { describe, expect, it } from 'vitest';
import { z } from 'zod';

const tool = (name: string, input: z.ZodType, description = `the ${name} tool`) =>
  defineTool({ name, description, input, effect: 'read', execute: () => null });

describe('toChatCompletionsTools / toResponsesTools', () => {
  it('describes each tool with JSON Schema from zod, strict when the schema allows it', () => {
    const warden = createWarden({
      tools: [
        tool(
          'get_weather',
          z.object({
            city: z.string().describe('City name'),
            unit: z.enum(['c', 'f']).nullable(),
            when: z.object({ day: z.iso.date() }),
          }),
        ),
      ],
    });
    const parameters = {
      type: 'object',
      properties: {
        city: { type: 'string', description: 'City name' },
        unit: { anyOf: [{ type: 'string', enum: ['c', 'f'] }, { type: 'null' }] },
        when: {
          type: 'object',
          properties: { day: { type: 'string', format: 'date', pattern: expect.any(String) } },
          required: ['day'],
          additionalProperties: false,
        },
      },
      required: ['city', 'unit', 'when'],
      additionalProperties: false,
    };
    expect(toChatCompletionsTools(warden)).toEqual([
      {
        type: 'function',
        function: { name: 'get_weather', description: 'the get_weather tool', parameters, strict: true },
      },
    ]);
    expect(toResponsesTools(warden)).toEqual([
      {
        type: 'function',
        name: 'get_weather',
        description: 'the get_weather tool',
        parameters,
        strict: true,
      },
    ]);
  });

  it.each([
    [
      'an optional property',
      z.object({ q: z.string(), limit: z.number().optional() }),
      /arguments\.limit is optional/,
    ],
    ['a default', z.object({ q: z.string().default('x') }), /arguments\.q is optional/],
    ['a record', z.object({ tags: z.record(z.string(), z.string()) }), /propertyNames|extra properties/],
    ['a loose object', z.looseObject({ q: z.string() }), /extra properties/],
    ['an unrepresentable type', z.object({ at: z.date() }), /arguments\.at accepts any value/],
    ['a tuple', z.object({ p: z.tuple([z.number(), z.number()]) }), /prefixItems/],
    ['a non-object root', z.string(), /not described as one JSON object/],
  ])('falls back to strict: false for %s, and strict: true names the reason', (_, input, reason) => {
    const warden = createWarden({ tools: [tool('t', input)] });
    expect(toChatCompletionsTools(warden)[0]!.function.strict).toBe(false);
    expect(toResponsesTools(warden)[0]!.strict).toBe(false);
    expect(() => toChatCompletionsTools(warden, { strict: true })).toThrow(WardenConfigError);
    expect(() => toChatCompletionsTools(warden, { strict: true })).toThrow(reason);
  });

  it('strict: false never marks a tool strict; the schema is the same', () => {
    const warden = createWarden({ tools: [tool('t', z.object({ q: z.string() }))] });
    const [auto] = toResponsesTools(warden);
    const [off] = toResponsesTools(warden, { strict: false });
    expect(auto!.strict).toBe(true);
    expect(off).toEqual({ ...auto, strict: false });
  });

  it('closes objects, turns discriminated unions into anyOf and drops formats strict mode rejects', () => {
    const input = z.object({
      action: z.discriminatedUnion('kind', [
        z.object({ kind: z.literal('open'), url: z.url() }),
        z.object({ kind: z.literal('close') }),
      ]),
    });
    const [t] = toResponsesTools(createWarden({ tools: [tool('act', input)] }));
    expect(t!.strict).toBe(true);
    const action = (t!.parameters as { properties: { action: Record<string, unknown> } }).properties.action;
    expect(action.oneOf).toBeUndefined();
    expect(action.anyOf).toEqual([
      {
        type: 'object',
        properties: { kind: { type: 'string', const: 'open' }, url: { type: 'string' } },
        required: ['kind', 'url'],
        additionalProperties: false,
      },
      {
        type: 'object',
        properties: { kind: { type: 'string', const: 'close' } },
        required: ['kind'],
        additionalProperties: false,
      },
    ]);
    expect(t!.parameters).not.toHaveProperty('$schema');
  });

  it('keeps recursive schemas as $defs / $ref', () => {
    const Node: z.ZodType<{ name: string; children: unknown[] }> = z.object({
      name: z.string(),
      get children() {
        return z.array(Node);
      },
    });
    const [t] = toChatCompletionsTools(createWarden({ tools: [tool('tree', z.object({ root: Node }))] }));
    expect(t!.function.strict).toBe(true);
    expect(JSON.stringify(t!.function.parameters)).toContain('"$ref":"#/$defs/');
  });

  it('offers only the named tools, in the order given; an unknown name is a config error', () => {
    const warden = createWarden({
      tools: [tool('a', z.object({})), tool('b', z.object({})), tool('c', z.object({}))],
    });
    expect(toChatCompletionsTools(warden, { tools: ['c', 'a'] }).map((t) => t.function.name)).toEqual([
      'c',
      'a',
    ]);
    expect(() => toResponsesTools(warden, { tools: ['a', 'zzz'] })).toThrow(
      /toResponsesTools\.tools\[1\]: 'zzz' is not a tool of this warden; its tools are: a, b, c/,
    );
  });

  it('returns fresh objects: editing one result cannot change the next', () => {
    const warden = createWarden({ tools: [tool('t', z.object({ q: z.string() }))] });
    const [first] = toChatCompletionsTools(warden);
    (first!.function.parameters as { properties: Record<string, unknown> }).properties.q = { type: 'number' };
    expect(toChatCompletionsTools(warden)[0]!.function.parameters).toMatchObject({
      properties: { q: { type: 'string' } },
    });
  });

  it('rejects a bad strict option', () => {
    const warden = createWarden({ tools: [tool('t', z.object({}))] });
    expect(() => toChatCompletionsTools(warden, { strict: 'yes' as unknown as boolean })).toThrow(
      /toChatCompletionsTools\.strict/,
    );
  });
});
