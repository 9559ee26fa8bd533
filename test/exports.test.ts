import { readFileSync } from 'node:fs';
import * as root from 'agent-warden';
import * as testing from 'agent-warden/testing';
import { describe, expect, it } from 'vitest';

// The public surface is a contract: a change to these lists must be deliberate (update the list,
// the docs and CHANGELOG.md together). Types are erased at runtime and are not listed here.

describe('public exports', () => {
  it("'agent-warden' exports exactly these runtime names", () => {
    expect(Object.keys(root).sort()).toEqual([
      'ATTR',
      'DEFAULTS',
      'OPERATION',
      'RunStop',
      'SPAN_EVENT',
      'VERSION',
      'WardenConfigError',
      'WardenError',
      'computeCostUsd',
      'createWarden',
      'currentRun',
      'defineTool',
      'extractUsage',
      'jsonlAudit',
      'memoryAudit',
      'memoryStore',
      'verifyAuditLog',
    ]);
  });

  it("'agent-warden/testing' exports exactly these runtime names", () => {
    expect(Object.keys(testing).sort()).toEqual([
      'UnexpectedModelCall',
      'asOpenAIChatCompletion',
      'asOpenAIResponse',
      'createManualClock',
      'diffRuns',
      'mockTools',
      'permanentError',
      'recordRuns',
      'recordSpans',
      'replayRun',
      'responseToTurn',
      'runScriptedAgent',
      'scriptedModel',
      'transientError',
    ]);
  });

  it('VERSION equals the version in package.json', () => {
    const pkg = JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as {
      version: string;
    };
    expect(root.VERSION).toBe(pkg.version);
  });

  it('exported constants are frozen or read-only', () => {
    expect(Object.isFrozen(root.DEFAULTS)).toBe(true);
    expect(Object.isFrozen(root.DEFAULTS.budgets.run)).toBe(true);
  });
});
