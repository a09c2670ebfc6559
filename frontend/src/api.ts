// Typed calls to the chat backend. Same origin: the Vite dev server proxies /api and /health.

import { readEvents } from './sse.ts';

/** Routing details the backend attaches to each assistant reply. All optional: render what is there. */
export interface ChatMetadata {
  agent?: string;
  confidence?: number;
  reasoning?: string;
  fallbackTriggered?: boolean;
  /** Backend time for the whole request, in milliseconds (a preformatted string is tolerated). */
  processingTime?: number | string;
  routerLatencyMs?: number;
  historyLength?: number;
  /** The reply stopped early (Stop, or the stream broke); the text is what had arrived. */
  interrupted?: boolean;
}

export interface ChatReply {
  message: string;
  sessionId: string;
  metadata: ChatMetadata;
}

export interface StoredMessage {
  role: string;
  content: string;
  timestamp?: string | number;
  metadata?: ChatMetadata;
}

export interface StoredSession {
  sessionId: string;
  messages: StoredMessage[];
  createdAt?: string | number;
  updatedAt?: string | number;
}

export interface Health {
  status?: string;
  router?: { state?: string; healthy?: boolean; pid?: number; owned?: boolean; restarts?: number; url?: string };
  store?: { backend?: string; sessions?: number };
  uptimeS?: number;
}

/** A failed call: `status` is the HTTP status, or 0 when the backend could not be reached at all. */
export class ApiError extends Error {
  readonly status: number;
  readonly details: string | undefined;
  /** From a `Retry-After` header (seconds) when the server sent one. */
  readonly retryAfterMs: number | undefined;

  constructor(status: number, message: string, details?: string, retryAfterMs?: number) {
    super(message);
    this.name = 'ApiError';
    this.status = status;
    this.details = details;
    this.retryAfterMs = retryAfterMs;
  }

  /** 503: the backend is up but the router is not (restarting); 502/0: the backend is unreachable. */
  get isRetryable(): boolean {
    return this.status === 503 || this.status === 502 || this.status === 0;
  }
}

interface Envelope {
  success?: boolean;
  error?: unknown;
  details?: unknown;
}

/** fetch, with a network failure turned into `ApiError(0, 'backend unreachable')` (an abort is rethrown as is). */
async function request(path: string, init: RequestInit, accept = 'application/json'): Promise<Response> {
  try {
    return await fetch(path, { ...init, headers: { Accept: accept, ...init.headers } });
  } catch (err) {
    if (init.signal?.aborted) throw err;
    throw new ApiError(0, 'backend unreachable', err instanceof Error ? err.message : String(err));
  }
}

/** The JSON body of a success; an `ApiError` for an error status or `{success:false}`. */
async function readJson<T>(response: Response): Promise<T> {
  const text = await response.text();
  let body: unknown = undefined;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    // Not JSON (a proxy error page, say): keep the status, report the body as details below.
  }
  const envelope = (typeof body === 'object' && body !== null ? body : {}) as Envelope;
  if (!response.ok || envelope.success === false) {
    const message = errorText(envelope.error, `HTTP ${response.status} ${response.statusText}`.trim());
    const details = envelope.details === undefined
      ? (body === undefined && text !== '' ? text.slice(0, 200) : undefined)
      : detailsText(envelope.details);
    throw new ApiError(response.status, message, details, retryAfter(response));
  }
  return body as T;
}

function errorText(error: unknown, fallback: string): string {
  return typeof error === 'string' && error !== '' ? error : fallback;
}

function detailsText(details: unknown): string | undefined {
  return details === undefined ? undefined : typeof details === 'string' ? details : JSON.stringify(details);
}

async function call<T>(path: string, init: RequestInit): Promise<T> {
  return readJson<T>(await request(path, init));
}

function retryAfter(response: Response): number | undefined {
  const value = response.headers.get('Retry-After');
  if (value === null) return undefined;
  const seconds = Number(value);
  return Number.isFinite(seconds) && seconds >= 0 ? seconds * 1000 : undefined;
}

/** POST /api/chat. Without a session id the backend starts a new conversation and returns its id. */
export async function sendChat(message: string, sessionId: string | null, signal: AbortSignal): Promise<ChatReply> {
  const payload = sessionId === null ? { message } : { message, sessionId };
  return call<ChatReply>('/api/chat', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(payload),
    signal,
  });
}

/** The `meta` event that opens a stream: where the router sent the message. */
export interface StreamMeta {
  sessionId: string;
  agent?: string;
  confidence?: number;
  reasoning?: string;
  fallbackTriggered?: boolean;
}

/** Called as a stream's events arrive, on the page's thread; they should be quick. */
export interface StreamHandlers {
  onMeta(meta: StreamMeta): void;
  onDelta(text: string): void;
}

/**
 * A stream that ended without `done`: the backend sent an `error` event (`status` is the
 * response's, 200), the connection dropped, or it went quiet. Whatever had arrived stays valid.
 */
export class StreamError extends ApiError {
  constructor(status: number, message: string, details?: string) {
    super(status, message, details);
    this.name = 'StreamError';
  }
}

/** Nothing at all, not even a heartbeat (the backend sends one every 15 s), for this long: the stream is dead. */
export const STREAM_IDLE_MS = 45_000;

/**
 * POST /api/chat/stream: the same request as {@link sendChat}, answered as server-sent events.
 * Resolves with the `done` event, which is exactly what /api/chat would have answered. Throws
 * `ApiError` for an error status before the stream starts (a 404/405 means an older backend
 * without the endpoint), `StreamError` once it has started, and the abort error when `signal`
 * aborts. A 200 that is JSON rather than an event stream is read as /api/chat's answer.
 */
export async function streamChat(message: string, sessionId: string | null, signal: AbortSignal,
  handlers: StreamHandlers): Promise<ChatReply> {
  signal.throwIfAborted();
  const payload = sessionId === null ? { message } : { message, sessionId };
  const quiet = new AbortController(); // aborts on `signal` and when the stream goes quiet
  const stop = (): void => quiet.abort(signal.reason);
  signal.addEventListener('abort', stop, { once: true });
  let timer: number | undefined;
  const heardFrom = (): void => {
    window.clearTimeout(timer);
    timer = window.setTimeout(() => quiet.abort(), STREAM_IDLE_MS);
  };
  try {
    const response = await request('/api/chat/stream', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(payload),
      signal: quiet.signal,
    }, 'text/event-stream');
    const type = response.headers.get('Content-Type') ?? '';
    if (!response.ok || response.body === null || !type.startsWith('text/event-stream')) return await readJson<ChatReply>(response);
    heardFrom();
    try {
      for await (const event of readEvents(response.body, heardFrom)) {
        const data = parseEventData(event.event, event.data, response.status);
        if (event.event === 'meta') handlers.onMeta(data as unknown as StreamMeta);
        else if (event.event === 'delta' && typeof data.text === 'string') handlers.onDelta(data.text);
        else if (event.event === 'done') return data as unknown as ChatReply;
        else if (event.event === 'error') {
          throw new StreamError(response.status, errorText(data.error, 'the reply stream failed'), detailsText(data.details));
        }
      }
    } catch (err) {
      if (signal.aborted || err instanceof StreamError) throw err;
      if (quiet.signal.aborted) {
        throw new StreamError(response.status, 'the reply stream went quiet', `nothing arrived for ${STREAM_IDLE_MS / 1000} s`);
      }
      throw new StreamError(response.status, 'the connection dropped', err instanceof Error ? err.message : String(err));
    }
    throw new StreamError(response.status, 'the reply stream ended early', 'it closed without a done or error event');
  } finally {
    window.clearTimeout(timer);
    signal.removeEventListener('abort', stop);
  }
}

function parseEventData(event: string, data: string, status: number): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(data);
    if (typeof value === 'object' && value !== null) return value as Record<string, unknown>;
  } catch {
    // reported below
  }
  throw new StreamError(status, `a malformed ${event} event`, data.slice(0, 200));
}

/** GET /api/sessions/{id}; `null` when the backend does not know the session (404) or rejects the id (400). */
export async function loadSession(sessionId: string, signal: AbortSignal): Promise<StoredSession | null> {
  try {
    return await call<StoredSession>(`/api/sessions/${encodeURIComponent(sessionId)}`, { signal });
  } catch (err) {
    if (err instanceof ApiError && (err.status === 404 || err.status === 400)) return null;
    throw err;
  }
}

/** POST /api/chat/clear, best effort: failures are ignored, the page forgets the session anyway. */
export function clearSession(sessionId: string): void {
  fetch('/api/chat/clear', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ sessionId }),
    keepalive: true,
  }).catch(() => undefined);
}

/** GET /health. Resolves with the HTTP status and body for 200 and 503 (not ready); throws otherwise. */
export async function fetchHealth(signal: AbortSignal): Promise<{ status: number; body: Health }> {
  let response: Response;
  try {
    response = await fetch('/health', { headers: { Accept: 'application/json' }, cache: 'no-store', signal });
  } catch (err) {
    throw new ApiError(0, 'backend unreachable', err instanceof Error ? err.message : String(err));
  }
  let body: unknown;
  try {
    body = await response.json();
  } catch {
    throw new ApiError(response.status, `HTTP ${response.status}: not a health report`);
  }
  if ((response.status !== 200 && response.status !== 503) || typeof body !== 'object' || body === null) {
    const error = (body as Envelope | null)?.error;
    throw new ApiError(response.status, typeof error === 'string' ? error : `HTTP ${response.status}`);
  }
  return { status: response.status, body: body as Health };
}
