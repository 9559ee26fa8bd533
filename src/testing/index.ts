// The testing kit, `agent-warden/testing`: deterministic tool mocks, a scripted model and the
// reference agent loop, span recording, a manual clock, and recording / replaying / diffing runs.
// It never imports a test runner. test/exports.test.ts asserts its runtime export list.

export {
  runScriptedAgent,
  type ScriptedAgentModel,
  type ScriptedAgentOptions,
  type ScriptedAgentToolCall,
} from './agent-loop.js';
export { createManualClock, type ManualClock } from './clock.js';
export { diffRuns, type RunDivergence, type RunReference, type RunStep } from './diff-runs.js';
export {
  type HttpError,
  type MockArgs,
  type MockCall,
  type MockFunction,
  type MockOutput,
  type MockResult,
  type MockSpec,
  type MockToolsSpec,
  mockTools,
  permanentError,
  type ToolMock,
  type ToolMocks,
  transientError,
} from './mocks.js';
export {
  asOpenAIChatCompletion,
  asOpenAIResponse,
  type OpenAIChatCompletion,
  type OpenAIChatToolCall,
  type OpenAIResponse,
  type OpenAIResponseOutputItem,
  type OpenAIShapeOptions,
} from './openai-shapes.js';
export {
  type RecordedModelCall,
  type RecordedRetry,
  type RecordedRun,
  type RecordedToolCall,
  type RecordingJSON,
  type RecordingSource,
  type RecordRunsOptions,
  type RunRecorder,
  type RunRecording,
  recordRuns,
} from './record-runs.js';
export { type ReplayedRun, replayRun, responseToTurn } from './replay-run.js';
export {
  type ScriptedMessage,
  type ScriptedModel,
  type ScriptedModelOptions,
  type ScriptedRequest,
  type ScriptedResponse,
  type ScriptedToolCall,
  type ScriptedTurn,
  type ScriptedUsage,
  scriptedModel,
  UnexpectedModelCall,
  type UnexpectedModelCallOptions,
} from './scripted-model.js';
export { recordSpans, type SpanRecorder, type SpanTreeOptions } from './spans.js';
