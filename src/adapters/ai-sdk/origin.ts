import type { Tool as AiSdkTool, FlexibleSchema } from 'ai';
import type { AnyTool } from '../../index.js';

const ORIGIN = Symbol.for('agent-warden.ai-sdk.origin');

/** What a warden tool made by `fromAiSdkTools` keeps of the AI SDK tool, for `toAiSdkTools`. */
export interface AiSdkOrigin {
  /** The schema shown to the model (the AI SDK tool's own). */
  inputSchema: FlexibleSchema<unknown>;
  providerOptions?: AiSdkTool['providerOptions'];
  strict?: boolean;
  inputExamples?: Array<{ input: unknown }>;
  metadata?: AiSdkTool['metadata'];
}

/**
 * `definition` with its AI SDK origin attached under a symbol key. `defineTool` and
 * `warden.withTools` copy own properties, so the origin survives both.
 */
export function withOrigin<T extends object>(definition: T, origin: AiSdkOrigin): T {
  return Object.assign(definition, { [ORIGIN]: origin });
}

/** The AI SDK origin of a warden tool, if it was made by `fromAiSdkTools`. */
export function originOf(tool: AnyTool): AiSdkOrigin | undefined {
  return (tool as unknown as Record<symbol, AiSdkOrigin | undefined>)[ORIGIN];
}
