import { context as otelContext, SpanKind, trace } from '@opentelemetry/api';
import { ApprovalService, type ApproveResult } from './approvals/service.js';
import { verifyToken } from './approvals/token.js';
import { AuditEmitter } from './audit/emitter.js';
import { scopesFor } from './budget/scoped.js';
import { RunStop, WardenConfigError, WardenError } from './errors.js';
import { systemClock } from './internal/clock.js';
import { defaultIdGenerator } from './internal/ids.js';
import { resolveOptions, type WardenOptions } from './options.js';
import { findCurrentRun, withCurrentRun } from './run/context.js';
import type { WardenCore } from './run/core.js';
import { RunImpl } from './run/run.js';
import { resolveRunOptions } from './run/run-options.js';
import type { PendingApproval, Run, RunOptions, RunResult } from './run/types.js';
import { memoryStore } from './store/memory-store.js';
import { withStoreTimeout } from './store/with-timeout.js';
import { ATTR, OPERATION, SPAN_EVENT } from './telemetry/attributes.js';
import { startSpan } from './telemetry/span.js';
import type { ToolCall } from './tools/call.js';
import { type AnyTool, defineTool, type ToolContext, type ToolNameOf } from './tools/define-tool.js';
import { fail, type ToolOutcome } from './tools/outcome.js';
import { ToolRegistry } from './tools/registry.js';
import { Deadlines } from './tools/resilience/attempts.js';
import { BreakerRegistry } from './tools/resilience/breakers.js';
import { VERSION } from './version.js';

/** What a kill applies to. */
export type KillScope = 'global' | { tenantId: string } | { userId: string } | { runId: string };

/** A replacement for one tool's `execute` (what the testing kit's mocks provide). */
export interface ToolExecuteOverride {
  execute: (args: any, ctx: ToolContext) => unknown;
}

export interface WithToolsOptions {
  /** Tools without a replacement keep their real `execute`. @default false (calling them fails loudly) */
  passthrough?: boolean;
}

/** A configured guard around agent runs. Create one per agent with `createWarden`. */
export interface Warden<TTools extends readonly AnyTool[] = readonly AnyTool[]> {
  /** Names of the registered tools (the allowlist). */
  readonly toolNames: readonly string[];
  /** The registered tools (for adapters that hand them to a framework). */
  readonly tools: TTools;
  /**
   * A new warden with the same options and guards whose tools' `execute` is
   * replaced — for tests. A replacement for a tool this warden does not have
   * is a `WardenConfigError`; a tool without one fails loudly when called
   * unless `{ passthrough: true }`.
   */
  withTools(
    mocks: { readonly [Name in ToolNameOf<TTools>]?: ToolExecuteOverride },
    options?: WithToolsOptions,
  ): Warden<TTools>;
  /** Run `fn` under the warden's guards. Resolves with a `RunResult`; rejects only on bugs and bad options. */
  run<T>(options: RunOptions, fn: (run: Run) => Promise<T> | T): Promise<RunResult<T>>;
  /** Stop runs in scope now and refuse new ones until `revive`. */
  kill(scope: KillScope, options?: { reason?: string }): Promise<void>;
  /** Lift a kill. */
  revive(scope: KillScope): Promise<void>;
  /** Approve a pending action; returns the token once enough distinct approvers agreed. */
  approve(pendingId: string, options: { approver: string }): Promise<ApproveResult>;
  /** Reject a pending action; it can never be approved after that. */
  reject(pendingId: string, options: { approver: string; reason?: string }): Promise<void>;
  /** Open pending approvals, oldest first, optionally for one user or tenant. */
  pending(filter?: { userId?: string; tenantId?: string }): Promise<PendingApproval[]>;
  /**
   * Run exactly the approved tool with exactly the approved arguments, for the
   * user and tenant the token is bound to, through the rest of the pipeline
   * (in a run of its own). Throws the `RunStop` if that run is stopped.
   */
  executeApproved(token: string, options: { userId?: string; tenantId?: string }): Promise<ToolOutcome>;
  /** Stop active runs, shut down breakers and timers, close the audit sink, and close the store if the warden created it. */
  close(): Promise<void>;
}

export function killScopeKey(scope: KillScope): string {
  if (scope === 'global') return 'global';
  const check = (value: unknown, field: string) => {
    if (typeof value !== 'string' || value.length === 0) {
      throw new WardenConfigError({ path: `kill(scope).${field}`, message: 'expected a non-empty string' });
    }
    return value;
  };
  if (typeof scope === 'object' && scope !== null) {
    const keys = Object.keys(scope);
    if (keys.length === 1) {
      if ('tenantId' in scope) return `tenant:${check(scope.tenantId, 'tenantId')}`;
      if ('userId' in scope) return `user:${check(scope.userId, 'userId')}`;
      if ('runId' in scope) return `run:${check(scope.runId, 'runId')}`;
    }
  }
  throw new WardenConfigError({
    path: 'kill(scope)',
    message: "expected 'global', { tenantId }, { userId } or { runId }",
  });
}

/** Create a warden: options are validated and resolved once, here. Throws `WardenConfigError`. */
export function createWarden<const TTools extends readonly AnyTool[] = readonly AnyTool[]>(
  options: WardenOptions & { tools?: TTools } = {},
): Warden<TTools> {
  const resolved = resolveOptions(options);
  const registry = new ToolRegistry(resolved.tools);
  const approvalTool = registry.all.find((t) => t.mayNeedApproval);
  if (approvalTool && !resolved.approvals.keys) {
    throw new WardenConfigError({
      path: 'approvals.secret',
      message:
        `tool '${approvalTool.name}' can require approval, so approvals.secret is required ` +
        '(a string of >= 32 bytes, or { current: { id, secret }, previous: [] })',
    });
  }
  const clock = resolved.clock ?? systemClock;
  const ownsStore = resolved.store === undefined;
  const rawStore = resolved.store ?? memoryStore();
  rawStore.attach?.({ clock });
  const store = withStoreTimeout(rawStore, resolved.limits.storeTimeoutMs);
  const tracer = resolved.telemetry.tracer ?? trace.getTracer('agent-warden', VERSION);
  const audit = new AuditEmitter({
    sink: resolved.audit,
    onEvent: resolved.onEvent,
    clock,
    onSinkError: (error) => {
      (findCurrentRun() as RunImpl | undefined)?.span.span.addEvent(SPAN_EVENT.AUDIT_FAILED, {
        [ATTR.EXCEPTION_MESSAGE]: error instanceof Error ? error.message : String(error),
      });
    },
  });
  const breakers = new BreakerRegistry(registry.all, clock, (key, state, context) => {
    const call = context as ToolCall | undefined;
    const type =
      state === 'open' ? 'breaker_opened' : state === 'closed' ? 'breaker_closed' : 'breaker_half_open';
    audit.emit(call?.run.identity, { type, key });
    const event =
      state === 'open'
        ? SPAN_EVENT.BREAKER_OPENED
        : state === 'closed'
          ? SPAN_EVENT.BREAKER_CLOSED
          : SPAN_EVENT.BREAKER_HALF_OPEN;
    call?.span.span.addEvent(event, { [ATTR.WARDEN_BREAKER_KEY]: key });
  });
  const deadlines = new Deadlines();
  const core: WardenCore = {
    options: resolved,
    registry,
    store,
    tracer,
    clock,
    generateId: resolved.generateId ?? defaultIdGenerator(),
    random: resolved.random ?? Math.random,
    audit,
    breakers,
    deadlines,
    get approvals() {
      return approvals;
    },
  };
  const approvals = new ApprovalService(core);
  const active = new Set<RunImpl>();
  let closed = false;

  async function run<T>(runOptions: RunOptions, fn: (run: Run) => Promise<T> | T): Promise<RunResult<T>> {
    if (closed)
      throw new WardenError({ code: 'closed', message: 'this warden was closed; create a new one' });
    if (typeof fn !== 'function') {
      throw new WardenConfigError({ path: 'run(fn)', message: 'expected a function async (run) => output' });
    }
    const o = resolveRunOptions(runOptions, resolved.budgets.run, registry);
    const scopes = scopesFor(resolved.budgets.scopes, o);
    const id = core.generateId();
    const span = startSpan(
      tracer,
      `${OPERATION.INVOKE_AGENT} ${resolved.agent.name}`,
      SpanKind.INTERNAL,
      {
        [ATTR.GEN_AI_OPERATION_NAME]: OPERATION.INVOKE_AGENT,
        [ATTR.GEN_AI_AGENT_NAME]: resolved.agent.name,
        ...(resolved.agent.id ? { [ATTR.GEN_AI_AGENT_ID]: resolved.agent.id } : {}),
        ...(o.sessionId !== undefined ? { [ATTR.GEN_AI_CONVERSATION_ID]: o.sessionId } : {}),
        ...(o.userId !== undefined ? { [ATTR.USER_ID]: o.userId } : {}),
        ...(o.tenantId !== undefined ? { [ATTR.WARDEN_TENANT_ID]: o.tenantId } : {}),
        [ATTR.WARDEN_RUN_ID]: id,
      },
      otelContext.active(),
    );
    const r = new RunImpl(core, {
      id,
      userId: o.userId,
      tenantId: o.tenantId,
      sessionId: o.sessionId,
      limits: o.limits,
      allowed: o.allowed,
      approvals: o.approvals,
      scopes,
      span,
      traceId: span.span.spanContext().traceId,
      startedAt: clock.now(),
    });
    active.add(r);
    audit.emit(r.identity, { type: 'run_started', agent: resolved.agent.name });

    const onAbort = () =>
      r.halt(
        new RunStop({
          details: {
            code: 'aborted',
            ...(reasonText(o.signal?.reason) ? { reason: reasonText(o.signal?.reason) } : {}),
          },
          message: 'the run was aborted by its caller',
        }),
      );
    if (o.signal?.aborted) onAbort();
    else o.signal?.addEventListener('abort', onAbort, { once: true });
    const timer = setTimeout(() => {
      r.halt(
        new RunStop({
          details: {
            code: 'budget_exceeded',
            dimension: 'durationMs',
            scope: 'run',
            limit: o.limits.durationMs,
            used: r.elapsedMs(),
          },
          message: `run budget for run time (ms) exceeded: ${o.limits.durationMs} ms`,
        }),
      );
    }, o.limits.durationMs);
    // Not unref'd: it bounds a run in progress and is cleared when the run ends.

    const slot =
      o.userId !== undefined
        ? { key: `runs:${encodeURIComponent(o.tenantId ?? '-')}:${encodeURIComponent(o.userId)}`, holder: id }
        : undefined;
    let slotHeld = false;
    let output: T | undefined;
    let failure: { error: unknown } | undefined;
    try {
      if (slot && !r.stopped) {
        const limit = resolved.limits.concurrentRunsPerUser;
        try {
          slotHeld = await store.acquireSlot({ ...slot, limit, leaseMs: o.limits.durationMs + 60_000 });
        } catch (error) {
          r.halt(
            new RunStop({
              details: { code: 'store_unavailable', operation: 'acquireSlot' },
              message: 'the concurrency limit could not be checked in the shared store; the run was refused',
              cause: error,
            }),
          );
        }
        if (!slotHeld && !r.stopped) {
          r.halt(
            new RunStop({
              details: { code: 'rate_limited', limit, scope: 'user' },
              message: `user already has ${limit} runs in progress (limits.concurrentRunsPerUser); try again later`,
            }),
          );
        }
      }
      if (!r.stopped) await r.check();
      // A refused run (rate limited, aborted before it began, killed) never runs the caller's code.
      if (r.stopped) throw r.stopped;
      output = await withCurrentRun(r, () =>
        otelContext.with(span.context, () => Promise.resolve().then(() => fn(r))),
      );
    } catch (error) {
      if (!RunStop.isInstance(error) || !r.stopped) failure = { error };
    } finally {
      clearTimeout(timer);
      o.signal?.removeEventListener('abort', onAbort);
      r.markEnded();
      active.delete(r);
      if (slotHeld && slot) await store.releaseSlot(slot).catch(() => {});
    }

    const stop = r.stopped ?? (failure && RunStop.isInstance(failure.error) ? failure.error : null);
    const usage = r.usage;
    const s = span.span;
    s.setAttributes({
      [ATTR.WARDEN_USAGE_STEPS]: usage.steps,
      [ATTR.WARDEN_USAGE_TOOL_CALLS]: usage.toolCalls,
      [ATTR.WARDEN_USAGE_INPUT_TOKENS]: usage.inputTokens,
      [ATTR.WARDEN_USAGE_OUTPUT_TOKENS]: usage.outputTokens,
      [ATTR.WARDEN_USAGE_CACHED_INPUT_TOKENS]: usage.cachedInputTokens,
      [ATTR.WARDEN_USAGE_COST_USD]: usage.costUsd,
      [ATTR.WARDEN_USAGE_DURATION_MS]: usage.durationMs,
      [ATTR.GEN_AI_USAGE_INPUT_TOKENS]: usage.inputTokens,
      [ATTR.GEN_AI_USAGE_OUTPUT_TOKENS]: usage.outputTokens,
    });
    const status = stop ? 'stopped' : failure ? 'error' : 'completed';
    s.setAttribute(ATTR.WARDEN_RUN_STATUS, status);
    if (stop) {
      s.setAttribute(ATTR.WARDEN_STOP_CODE, stop.code);
      span.fail(stop.code, stop.message);
    } else if (failure) {
      const e = failure.error;
      span.fail(e instanceof Error ? e.name : '_OTHER', e instanceof Error ? e.message : String(e), e);
    }
    span.end();
    audit.emit(r.identity, {
      type: 'run_finished',
      status,
      ...(stop ? { stopCode: stop.code } : {}),
      usage: { ...usage },
    });
    if (failure && !stop) throw failure.error;
    const base = { usage, runId: id, traceId: r.traceId, pending: [...r.pending] };
    return stop
      ? { ...base, status: 'stopped', stop: stop.toJSON() }
      : { ...base, status: 'completed', output: output as T };
  }

  return {
    get toolNames() {
      return registry.names;
    },
    get tools() {
      return resolved.tools as unknown as TTools;
    },
    withTools(mocks, withOptions) {
      const sink = resolved.audit;
      return createWarden({
        ...options,
        // The new warden shares this warden's audit sink but does not own it: closing it must not close the sink.
        ...(sink ? { audit: { write: (event) => sink.write(event), content: sink.content === true } } : {}),
        tools: replaceExecutes(resolved.tools, mocks, withOptions),
      }) as unknown as Warden<TTools>;
    },
    run,
    async kill(scope, killOptions) {
      const key = killScopeKey(scope);
      const reason = killOptions?.reason;
      await store.setKill({ scope: key, at: clock.now(), ...(reason ? { reason } : {}) });
      audit.emit(undefined, { type: 'killed', scope: key, ...(reason ? { reason } : {}) });
      for (const r of active) {
        if (r.killScopes.includes(key)) r.kill(key, reason);
      }
    },
    approve: (pendingId, approveOptions) => approvals.approve(pendingId, approveOptions),
    reject: (pendingId, rejectOptions) => approvals.reject(pendingId, rejectOptions),
    pending: (filter) => approvals.list(filter ?? {}),
    async executeApproved(token, identity) {
      const callId = core.generateId();
      const who = { userId: identity?.userId, tenantId: identity?.tenantId };
      // A refusal before any run starts is still audited (forged, expired or unknown tokens).
      const refuse = (reason: string, message: string, pendingId?: string, tool?: string) => {
        audit.emit(who, {
          type: 'approval_refused',
          reason,
          ...(pendingId ? { pendingId } : {}),
          ...(tool ? { tool } : {}),
        });
        return fail('approval_invalid', message, callId, { reason });
      };
      const keys = resolved.approvals.keys;
      if (!keys) return refuse('not_approved', 'approvals are not configured on this warden.');
      const verified = verifyToken(token, keys, clock.now());
      if (!verified.ok)
        return refuse(verified.problem, 'the approval token is not valid; ask for approval again.');
      const { pendingId, tool } = verified.claims;
      let record: Awaited<ReturnType<typeof approvals.find>>;
      try {
        record = await approvals.find(pendingId);
      } catch {
        return fail(
          'store_unavailable',
          'the approval could not be read from the store; try again later.',
          callId,
          {
            operation: 'approval',
          },
        );
      }
      if (!record) {
        return refuse(
          'not_approved',
          'the approved action no longer exists; ask for approval again.',
          pendingId,
          tool,
        );
      }
      // The arguments as first sent (before schema transforms) go through the whole pipeline again.
      const result = await run(who, (r) =>
        r.tool(record.tool, record.input ?? record.args, { approval: token, callId }),
      );
      if (result.status === 'stopped') {
        const { message, ...details } = result.stop;
        throw new RunStop({ details, message });
      }
      return result.output;
    },
    async revive(scope) {
      const key = killScopeKey(scope);
      await store.clearKill(key);
      audit.emit(undefined, { type: 'revived', scope: key });
    },
    async close() {
      if (closed) return;
      closed = true;
      for (const r of active) {
        r.halt(
          new RunStop({
            details: { code: 'aborted', reason: 'warden closed' },
            message: 'the warden was closed',
          }),
        );
      }
      breakers.shutdown();
      deadlines.close();
      await resolved.audit?.close?.();
      // A store passed in may be shared with other wardens: its owner closes it.
      if (ownsStore) await store.close?.();
    },
  };
}

function replaceExecutes(
  tools: readonly AnyTool[],
  mocks: Readonly<Record<string, ToolExecuteOverride | undefined>>,
  options: WithToolsOptions | undefined,
): AnyTool[] {
  if (typeof mocks !== 'object' || mocks === null) {
    throw new WardenConfigError({
      path: 'withTools(mocks)',
      message: 'expected { [toolName]: { execute } }',
    });
  }
  const names = new Set(tools.map((t) => t.name));
  for (const name of Object.keys(mocks)) {
    if (!names.has(name)) {
      throw new WardenConfigError({
        path: `withTools.${name}`,
        message: `'${name}' is not a tool of this warden; its tools are: ${[...names].join(', ') || '(none)'}`,
      });
    }
    if (typeof mocks[name]?.execute !== 'function') {
      throw new WardenConfigError({ path: `withTools.${name}.execute`, message: 'expected a function' });
    }
  }
  return tools.map((tool) => {
    const mock = Object.hasOwn(mocks, tool.name) ? mocks[tool.name] : undefined;
    if (mock) return defineTool({ ...tool, execute: mock.execute });
    if (options?.passthrough === true) return tool;
    return defineTool({
      ...tool,
      execute: () => {
        throw new WardenConfigError({
          path: `withTools.${tool.name}`,
          message:
            `tool '${tool.name}' was called but has no mock; add one to mockTools({ ... }) ` +
            'or pass { passthrough: true } to withTools to run its real execute',
        });
      },
    });
  });
}

function reasonText(reason: unknown): string | undefined {
  if (reason === undefined) return undefined;
  if (reason instanceof Error) return reason.message;
  return typeof reason === 'string' ? reason : undefined;
}

export { SPAN_EVENT };
