// A local stand-in for the OpenAI API, so the OpenAI examples (and the adapter's tests) run the REAL
// `openai` client with no network and no API key. It listens on 127.0.0.1 (a random port) and
// answers `POST /v1/chat/completions` (also streamed, as server-sent events) and `POST /v1/responses`
// in their wire formats, one scripted turn per request, with a `usage` block so the warden reads
// real-looking token counts.
//
//   const server = await startFakeOpenAI({ chat: [{ toolCalls: [...] }, { text: 'Done.' }] });
//   const client = new OpenAI({ apiKey: 'test', baseURL: server.baseURL, maxRetries: 0 });
//   ...
//   await server.close();
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/** One tool call the fake model makes. `args` is sent as JSON, or as is when it is a string. */
export interface FakeToolCall {
  name: string;
  args: unknown;
  /** The provider's call id. @default call_<request>_<index> */
  id?: string;
  /** A free-form (custom) tool call: `args` must be the raw text input. @default false */
  custom?: boolean;
}

/** One reply of the fake model. */
export interface FakeTurn {
  text?: string;
  toolCalls?: FakeToolCall[];
  /** @default estimated from the request and reply sizes (about 4 characters a token) */
  usage?: { inputTokens: number; outputTokens: number; cachedInputTokens?: number };
  /** Never answer (until the client aborts or the server closes): a hung provider. */
  hang?: boolean;
}

/** A request the fake server received. */
export interface FakeRequest {
  api: 'chat' | 'responses';
  /** The parsed JSON body. */
  body: any;
  /** 0-based position among all requests to the same API. */
  index: number;
  /** True once the client went away before the reply was sent (an aborted request). */
  aborted: boolean;
}

/** Turns in order, or a function that picks the reply for each request. */
export type FakeScript = readonly FakeTurn[] | ((request: FakeRequest) => FakeTurn);

export interface FakeOpenAIServer {
  /** Pass as `baseURL` to `new OpenAI({ ... })`. */
  readonly baseURL: string;
  /** Every request received since the start (or the last `use`), in order. */
  readonly requests: FakeRequest[];
  /** Answer with a new script from now on, and forget the requests received so far. */
  use(script: FakeScripts): void;
  /** Stop listening and drop open connections. */
  close(): Promise<void>;
}

/** What answers each API: `chat` answers Chat Completions, `responses` the Responses API. */
export interface FakeScripts {
  chat?: FakeScript;
  responses?: FakeScript;
}

/** Start the fake API on a random local port. */
export async function startFakeOpenAI(initial: FakeScripts = {}): Promise<FakeOpenAIServer> {
  const requests: FakeRequest[] = [];
  let script = initial;
  let counts = { chat: 0, responses: 0 };
  const server = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      sendJson(res, 500, { error: { message: String(error), type: 'server_error' } });
    });
  });

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const path = (req.url ?? '').split('?')[0] ?? '';
    const api = path.endsWith('/chat/completions')
      ? 'chat'
      : path.endsWith('/responses')
        ? 'responses'
        : null;
    if (req.method !== 'POST' || api === null) {
      sendJson(res, 404, {
        error: { message: `no route for ${req.method} ${path}`, type: 'invalid_request' },
      });
      return;
    }
    const body = JSON.parse(await readBody(req));
    const request: FakeRequest = { api, body, index: counts[api]++, aborted: false };
    requests.push(request);
    res.on('close', () => {
      if (!res.writableFinished) request.aborted = true;
    });
    const source = script[api];
    const turn = typeof source === 'function' ? source(request) : source?.[request.index];
    if (!turn) {
      const message = `the fake ${api} script has no turn for request ${request.index + 1}`;
      sendJson(res, 400, { error: { message, type: 'invalid_request_error' } });
      return;
    }
    if (turn.hang) return;
    if (api === 'chat' && body.stream) {
      sendChatStream(res, chatCompletion(request, turn), body.stream_options?.include_usage === true);
      return;
    }
    const reply = api === 'chat' ? chatCompletion(request, turn) : response(request, turn);
    sendJson(res, 200, reply);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    baseURL: `http://127.0.0.1:${port}/v1`,
    requests,
    use(next) {
      script = next;
      counts = { chat: 0, responses: 0 };
      requests.length = 0;
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function sendJson(res: ServerResponse, status: number, value: unknown): void {
  if (res.headersSent) return;
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(value));
}

/** A Chat Completion as server-sent `chat.completion.chunk` events (usage last, when asked for). */
function sendChatStream(
  res: ServerResponse,
  completion: ReturnType<typeof chatCompletion>,
  usage: boolean,
): void {
  res.writeHead(200, { 'content-type': 'text/event-stream' });
  const { choices, usage: totals, ...head } = completion;
  const choice = choices[0]!;
  const { tool_calls, ...message } = choice.message as typeof choice.message & { tool_calls?: unknown[] };
  const chunk = (delta: unknown, finish_reason: string | null) => ({
    ...head,
    object: 'chat.completion.chunk',
    choices: [{ index: 0, delta, logprobs: null, finish_reason }],
  });
  const events: unknown[] = [chunk(message, null)];
  for (const [index, call] of (tool_calls ?? []).entries()) {
    events.push(chunk({ tool_calls: [{ index, ...(call as object) }] }, null));
  }
  events.push(chunk({}, choice.finish_reason));
  if (usage) events.push({ ...head, object: 'chat.completion.chunk', choices: [], usage: totals });
  for (const event of events) res.write(`data: ${JSON.stringify(event)}\n\n`);
  res.end('data: [DONE]\n\n');
}

function argumentsText(args: unknown): string {
  return typeof args === 'string' ? args : JSON.stringify(args);
}

function usageOf(request: FakeRequest, turn: FakeTurn, reply: unknown) {
  if (turn.usage) return { cachedInputTokens: 0, ...turn.usage };
  const inputTokens = 50 + Math.round(JSON.stringify(request.body).length / 4);
  const outputTokens = 5 + Math.round(JSON.stringify(reply).length / 4);
  return { inputTokens, outputTokens, cachedInputTokens: 0 };
}

function callId(request: FakeRequest, call: FakeToolCall, i: number): string {
  return call.id ?? `call_${request.index + 1}_${i}`;
}

function chatCompletion(request: FakeRequest, turn: FakeTurn) {
  const calls = turn.toolCalls ?? [];
  const tool_calls = calls.map((call, i) =>
    call.custom
      ? {
          id: callId(request, call, i),
          type: 'custom',
          custom: { name: call.name, input: String(call.args) },
        }
      : {
          id: callId(request, call, i),
          type: 'function',
          function: { name: call.name, arguments: argumentsText(call.args) },
        },
  );
  const message = {
    role: 'assistant',
    content: turn.text ?? null,
    refusal: null,
    ...(tool_calls.length > 0 ? { tool_calls } : {}),
  };
  const usage = usageOf(request, turn, message);
  return {
    id: `chatcmpl-${request.index + 1}`,
    object: 'chat.completion',
    created: 1_767_225_600 + request.index,
    model: `${request.body.model}-2026-01-01`,
    choices: [
      { index: 0, message, logprobs: null, finish_reason: tool_calls.length > 0 ? 'tool_calls' : 'stop' },
    ],
    usage: {
      prompt_tokens: usage.inputTokens,
      completion_tokens: usage.outputTokens,
      total_tokens: usage.inputTokens + usage.outputTokens,
      prompt_tokens_details: { cached_tokens: usage.cachedInputTokens },
    },
  };
}

function response(request: FakeRequest, turn: FakeTurn) {
  const n = request.index + 1;
  const output: unknown[] = (turn.toolCalls ?? []).map((call, i) =>
    call.custom
      ? {
          type: 'custom_tool_call',
          id: `ctc_${n}_${i}`,
          call_id: callId(request, call, i),
          name: call.name,
          input: String(call.args),
        }
      : {
          type: 'function_call',
          id: `fc_${n}_${i}`,
          call_id: callId(request, call, i),
          name: call.name,
          arguments: argumentsText(call.args),
          status: 'completed',
        },
  );
  if (turn.text !== undefined) {
    output.push({
      type: 'message',
      id: `msg_${n}`,
      status: 'completed',
      role: 'assistant',
      content: [{ type: 'output_text', text: turn.text, annotations: [] }],
    });
  }
  const usage = usageOf(request, turn, output);
  return {
    id: `resp_${n}`,
    object: 'response',
    created_at: 1_767_225_600 + request.index,
    status: 'completed',
    model: `${request.body.model}-2026-01-01`,
    output,
    parallel_tool_calls: true,
    tool_choice: 'auto',
    tools: request.body.tools ?? [],
    usage: {
      input_tokens: usage.inputTokens,
      input_tokens_details: { cached_tokens: usage.cachedInputTokens },
      output_tokens: usage.outputTokens,
      output_tokens_details: { reasoning_tokens: 0 },
      total_tokens: usage.inputTokens + usage.outputTokens,
    },
  };
}
