/**
 * The core internals the adapters use, in one place. An adapter imports the public API from
 * `../../index.js` and the few parts of the core that are not public from here, never from a core
 * module's own path: this list is the whole of what the adapters rely on beyond the public API.
 */
export { raceAbort } from '../../internal/abort.js';
export { beginModelCall, type ModelCallHandle } from '../../run/model-call.js';
export { RunImpl } from '../../run/run.js';
export { checkToolDefinition } from '../../tools/define-tool.js';
