import * as adapter from 'agent-warden/langchain';
import { expect, it } from 'vitest';

it('agent-warden/langchain exports exactly its public API', () => {
  expect(Object.keys(adapter).sort()).toEqual([
    'WardenCallbackHandler',
    'WardenLangChainTool',
    'fromLangChainTools',
    'toLangChainTools',
    'wardenCallbacks',
    'wardenRunConfig',
  ]);
});
