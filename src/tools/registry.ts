import { WardenConfigError } from '../errors.js';
import { DEFAULTS } from '../options.js';
import { OPERATION } from '../telemetry/attributes.js';
import {
  type AnyTool,
  type BreakerOptions,
  checkToolDefinition,
  isTool,
  type ToolEffect,
} from './define-tool.js';

/** A tool with every guard option resolved. */
export interface RegisteredTool {
  readonly tool: AnyTool;
  readonly name: string;
  readonly effect: ToolEffect;
  readonly timeoutMs: number;
  readonly idempotency: { ttlMs: number } | false;
  readonly retry: {
    retries: number;
    minDelayMs: number;
    maxDelayMs: number;
    isTransient?: (e: unknown) => boolean;
  };
  readonly breaker: Required<BreakerOptions>;
  /** True when `approval` is set to anything but 'none'. */
  readonly mayNeedApproval: boolean;
  /** The name of its tool-call spans: `execute_tool {name}`. */
  readonly spanName: string;
}

/** The allowlist: tools by name, looked up as own entries of a Map only. */
export class ToolRegistry {
  readonly #tools = new Map<string, RegisteredTool>();

  constructor(tools: ReadonlyArray<AnyTool>) {
    tools.forEach((tool, i) => {
      const path = `tools[${i}]`;
      if (!isTool(tool)) checkToolDefinition(tool, path);
      if (!isTool(tool)) {
        throw new WardenConfigError({ path, message: 'expected a tool made with defineTool({ ... })' });
      }
      if (this.#tools.has(tool.name)) {
        throw new WardenConfigError({
          path: `${path}.name`,
          message: `duplicate tool name '${tool.name}'; tool names must be unique within a warden`,
        });
      }
      this.#tools.set(tool.name, resolveTool(tool));
    });
  }

  get(name: string): RegisteredTool | undefined {
    return this.#tools.get(name);
  }

  has(name: string): boolean {
    return this.#tools.has(name);
  }

  get names(): string[] {
    return [...this.#tools.keys()];
  }

  get all(): RegisteredTool[] {
    return [...this.#tools.values()];
  }
}

function resolveTool(tool: AnyTool): RegisteredTool {
  const d = DEFAULTS.tool;
  const effect = tool.effect ?? 'write';
  const retries = tool.retry?.retries ?? (effect === 'read' ? d.readRetries : d.writeRetries);
  const minDelayMs = tool.retry?.minDelayMs ?? d.minDelayMs;
  const maxDelayMs = tool.retry?.maxDelayMs ?? d.maxDelayMs;
  if (maxDelayMs < minDelayMs) {
    throw new WardenConfigError({
      path: `tools(${tool.name}).retry.maxDelayMs`,
      message: `must be >= retry.minDelayMs (${minDelayMs}), got ${maxDelayMs}`,
    });
  }
  return Object.freeze({
    tool,
    name: tool.name,
    effect,
    timeoutMs: tool.timeoutMs ?? d.timeoutMs,
    idempotency:
      tool.idempotency === false || effect === 'read'
        ? false
        : { ttlMs: tool.idempotency?.ttlMs ?? d.idempotencyTtlMs },
    retry: {
      retries,
      minDelayMs,
      maxDelayMs,
      ...(tool.retry?.isTransient ? { isTransient: tool.retry.isTransient } : {}),
    },
    breaker: {
      key: tool.breaker?.key ?? tool.name,
      errorThresholdPercentage: tool.breaker?.errorThresholdPercentage ?? d.breaker.errorThresholdPercentage,
      volumeThreshold: tool.breaker?.volumeThreshold ?? d.breaker.volumeThreshold,
      resetTimeoutMs: tool.breaker?.resetTimeoutMs ?? d.breaker.resetTimeoutMs,
      rollingWindowMs: tool.breaker?.rollingWindowMs ?? d.breaker.rollingWindowMs,
    },
    mayNeedApproval: tool.approval !== undefined && tool.approval !== 'none',
    spanName: `${OPERATION.EXECUTE_TOOL} ${tool.name}`,
  });
}
