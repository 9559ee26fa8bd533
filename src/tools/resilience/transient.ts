import { AttemptTimeout } from './attempts.js';

const TRANSIENT_STATUS = new Set([408, 425, 429]);
const TRANSIENT_CODES = new Set([
  'ECONNRESET',
  'ECONNREFUSED',
  'ETIMEDOUT',
  'EPIPE',
  'EAI_AGAIN',
  'ECONNABORTED',
  'ENETUNREACH',
  'EHOSTUNREACH',
]);

function statusOf(error: object): number | undefined {
  const e = error as { status?: unknown; statusCode?: unknown; response?: { status?: unknown } };
  for (const value of [e.status, e.statusCode, e.response?.status]) {
    if (typeof value === 'number' && Number.isInteger(value)) return value;
  }
  return undefined;
}

function codeOf(error: object): string | undefined {
  const code = (error as { code?: unknown }).code;
  if (typeof code === 'string') return code;
  const cause = (error as { cause?: unknown }).cause;
  if (typeof cause === 'object' && cause !== null) {
    const inner = (cause as { code?: unknown }).code;
    if (typeof inner === 'string') return inner;
  }
  return undefined;
}

/**
 * The built-in classification of tool errors: transient (worth retrying)
 * errors are a per-attempt timeout; an HTTP status of 408, 425, 429 or 5xx
 * on `status`, `statusCode` or `response.status`; and Node network errors
 * (`ECONNRESET`, `ECONNREFUSED`, `ETIMEDOUT`, `EPIPE`, `EAI_AGAIN`, `UND_ERR_*`, ...),
 * also when wrapped as `cause` (as `fetch` does). Everything else is permanent.
 */
export function isTransientError(error: unknown): boolean {
  if (error instanceof AttemptTimeout) return true;
  if (typeof error !== 'object' || error === null) return false;
  const status = statusOf(error);
  if (status !== undefined) return TRANSIENT_STATUS.has(status) || (status >= 500 && status <= 599);
  const code = codeOf(error);
  if (code !== undefined) return TRANSIENT_CODES.has(code) || code.startsWith('UND_ERR_');
  return false;
}

/**
 * Whether a failed attempt surely had no effect downstream, so its
 * idempotency claim can be released: the server said "not processed"
 * (408, 425, 429, 503) or the connection was refused before sending.
 * Any other failure after `execute` started may have had an effect.
 */
export function surelyNotProcessed(error: unknown): boolean {
  if (typeof error !== 'object' || error === null || error instanceof AttemptTimeout) return false;
  const status = statusOf(error);
  if (status !== undefined) return status === 408 || status === 425 || status === 429 || status === 503;
  const code = codeOf(error);
  return code === 'ECONNREFUSED' || code === 'EAI_AGAIN' || code === 'ENETUNREACH' || code === 'EHOSTUNREACH';
}
