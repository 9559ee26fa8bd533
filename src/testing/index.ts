export { createManualClock, type ManualClock } from './clock.js';
export { recordSpans, type SpanRecorder, type SpanTreeOptions } from './spans.js';
