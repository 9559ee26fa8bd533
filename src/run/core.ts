import type { Tracer } from '@opentelemetry/api';
import type { ApprovalService } from '../approvals/service.js';
import type { AuditEmitter } from '../audit/emitter.js';
import type { Clock } from '../internal/clock.js';
import type { ResolvedOptions } from '../options.js';
import type { Store } from '../store/types.js';
import type { ToolRegistry } from '../tools/registry.js';
import type { Deadlines } from '../tools/resilience/attempts.js';
import type { BreakerRegistry } from '../tools/resilience/breakers.js';

/** Everything a run needs from its warden, resolved once at `createWarden`. */
export interface WardenCore {
  readonly options: ResolvedOptions;
  readonly registry: ToolRegistry;
  readonly store: Store;
  readonly tracer: Tracer;
  readonly clock: Clock;
  readonly generateId: () => string;
  readonly random: () => number;
  readonly audit: AuditEmitter;
  readonly breakers: BreakerRegistry;
  /** The time-outs of tool attempts, on one timer. */
  readonly deadlines: Deadlines;
  readonly approvals: ApprovalService;
}
