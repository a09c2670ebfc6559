// Typed calls to the chat backend. Same origin: the Vite dev server proxies /api and /health.

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

async function call<T>(path: string, init: RequestInit): Promise<{ status: number; body: T }> {
  let response: Response;
  try {
    response = await fetch(path, { ...init, headers: { Accept: 'application/json', ...init.headers } });
  } catch (err) {
    if (init.signal?.aborted) throw err;
    throw new ApiError(0, 'backend unreachable', err instanceof Error ? err.message : String(err));
  }
  const text = await response.text();
  let body: unknown = undefined;
  try {
    body = text === '' ? undefined : JSON.parse(text);
  } catch {
    // Not JSON (a proxy error page, say): keep the status, report the body as details below.
  }
  const envelope = (typeof body === 'object' && body !== null ? body : {}) as Envelope;
  if (!response.ok || envelope.success === false) {
    const message = typeof envelope.error === 'string' && envelope.error !== ''
      ? envelope.error
      : `HTTP ${response.status} ${response.statusText}`.trim();
    const details = envelope.details === undefined
      ? (body === undefined && text !== '' ? text.slice(0, 200) : undefined)
      : typeof envelope.details === 'string' ? envelope.details : JSON.stringify(envelope.details);
    throw new ApiError(response.status, message, details, retryAfter(response));
  }
  return { status: response.status, body: body as T };
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
  const { body } = await call<ChatReply>('/api/chat', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify(payload),
    signal,
  });
  return body;
}

/** GET /api/sessions/{id}; `null` when the backend does not know the session (404) or rejects the id (400). */
export async function loadSession(sessionId: string, signal: AbortSignal): Promise<StoredSession | null> {
  try {
    const { body } = await call<StoredSession>(`/api/sessions/${encodeURIComponent(sessionId)}`, { signal });
    return body;
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
