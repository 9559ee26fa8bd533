import * as openai from 'agent-warden/openai';
import { describe, expect, it } from 'vitest';

describe("'agent-warden/openai'", () => {
  it('exports exactly these runtime names (a change must be deliberate: update docs/adapters/openai.md)', () => {
    expect(Object.keys(openai).sort()).toEqual([
      'chatCompletion',
      'createResponse',
      'fromOpenAITools',
      'runFunctionCalls',
      'runToolCalls',
      'toChatCompletionsTools',
      'toResponsesTools',
    ]);
  });

  it('imports nothing from openai at run time (types only: the peer dependency stays optional)', async () => {
    const { readdirSync, readFileSync } = await import('node:fs');
    const dir = new URL('../../../src/adapters/openai/', import.meta.url);
    for (const file of readdirSync(dir)) {
      const source = readFileSync(new URL(file, dir), 'utf8');
      const runtimeImports = [...source.matchAll(/^import (?!type )[^;]*from '([^']+)'/gm)].map((m) => m[1]);
      expect(
        runtimeImports.filter((m) => m === 'openai' || m?.startsWith('openai/')),
        file,
      ).toEqual([]);
    }
  });
});
