// The conversation controller: sends messages (retrying while the router restarts), restores
// the stored conversation on load, and starts over on "New conversation".

import { ApiError, clearSession, loadSession, sendChat } from './api.ts';
import type { MessageList } from './messages.ts';
import { forgetSessionId, rememberSessionId, storedSessionId } from './session.ts';

const MAX_ATTEMPTS = 6;
const FIRST_RETRY_DELAY_MS = 1000;
const MAX_RETRY_DELAY_MS = 8000;

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const timer = window.setTimeout(resolve, ms);
    signal.addEventListener('abort', () => {
      window.clearTimeout(timer);
      resolve();
    }, { once: true });
  });
}

function toApiError(err: unknown): ApiError {
  return err instanceof ApiError ? err : new ApiError(0, err instanceof Error ? err.message : String(err));
}

/** A sentence for the inline error, with the backend's details when it sent any. */
export function describeError(error: ApiError, attempts = 1): string {
  const details = error.details ? ` (${error.details})` : '';
  switch (error.status) {
    case 0:
    case 502:
      return `Backend unreachable${attempts > 1 ? ` after ${attempts} attempts` : ''}${details}.`;
    case 503:
      return `Router unavailable${attempts > 1 ? ` after ${attempts} attempts` : ''}: ${error.message}${details}.`;
    case 504:
      return `The router took too long to answer: ${error.message}${details}.`;
    default:
      return `Could not send the message: ${error.message}${details}.`;
  }
}

export class Chat {
  private readonly messages: MessageList;
  private readonly onBusy: (busy: boolean) => void;
  private readonly onTrouble: () => void;
  private sessionId: string | null = storedSessionId();
  private controller: AbortController | null = null;

  /**
   * @param onBusy called when a request starts or ends (at most one is in flight)
   * @param onTrouble called when the backend or router looks unavailable (to refresh the status dot)
   */
  constructor(messages: MessageList, onBusy: (busy: boolean) => void, onTrouble: () => void) {
    this.messages = messages;
    this.onBusy = onBusy;
    this.onTrouble = onTrouble;
  }

  get busy(): boolean {
    return this.controller !== null;
  }

  /** Shows the stored session's messages; forgets the id when the backend no longer knows it. */
  async restore(): Promise<void> {
    const sessionId = this.sessionId;
    if (sessionId === null || this.busy) return;
    const controller = this.begin();
    try {
      const session = await loadSession(sessionId, controller.signal);
      if (controller.signal.aborted) return;
      if (session === null) {
        this.forget();
        return;
      }
      for (const message of session.messages) {
        if (message.role === 'user' || message.role === 'assistant') {
          this.messages.add(message.role, message.content, message.metadata, message.timestamp);
        }
      }
    } catch (err) {
      if (controller.signal.aborted) return;
      this.messages.addError(`Could not restore the previous conversation. ${describeError(toApiError(err))}`);
    } finally {
      this.end(controller);
    }
  }

  /** Sends one message; returns false (and does nothing) while another request is in flight. */
  send(text: string): boolean {
    if (this.busy) return false;
    this.messages.add('user', text);
    void this.deliver(text);
    return true;
  }

  /** Forgets the conversation here and, best effort, on the backend. */
  reset(): void {
    const sessionId = this.sessionId;
    this.controller?.abort();
    this.controller = null;
    this.forget();
    this.messages.clear();
    if (sessionId !== null) clearSession(sessionId);
    this.onBusy(false);
  }

  private async deliver(text: string): Promise<void> {
    const controller = this.begin();
    const { signal } = controller;
    const pending = this.messages.addPending();
    let attempt = 1;
    try {
      for (;;) {
        try {
          const reply = await sendChat(text, this.sessionId, signal);
          if (signal.aborted) return;
          this.sessionId = reply.sessionId;
          rememberSessionId(reply.sessionId);
          pending.remove();
          this.messages.add('assistant', reply.message, reply.metadata);
          return;
        } catch (err) {
          if (signal.aborted) return;
          const error = toApiError(err);
          if (!error.isRetryable || attempt >= MAX_ATTEMPTS) throw error;
          this.onTrouble();
          const delay = Math.min(error.retryAfterMs ?? FIRST_RETRY_DELAY_MS * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS);
          const what = error.status === 503 ? 'router unavailable' : 'backend unreachable';
          attempt++;
          pending.note(`${what}, retrying in ${Math.max(1, Math.round(delay / 1000))} s (attempt ${attempt} of ${MAX_ATTEMPTS})`);
          await sleep(delay, signal);
          if (signal.aborted) return;
          pending.note(`${what}, retrying (attempt ${attempt} of ${MAX_ATTEMPTS})`);
        }
      }
    } catch (err) {
      if (signal.aborted) return;
      pending.remove();
      this.messages.addError(describeError(toApiError(err), attempt), {
        label: 'Retry',
        run: () => {
          if (!this.busy) void this.deliver(text);
        },
      });
    } finally {
      this.end(controller);
    }
  }

  private begin(): AbortController {
    const controller = new AbortController();
    this.controller = controller;
    this.onBusy(true);
    return controller;
  }

  private end(controller: AbortController): void {
    if (this.controller !== controller) return; // reset() took over
    this.controller = null;
    this.onBusy(false);
  }

  private forget(): void {
    this.sessionId = null;
    forgetSessionId();
  }
}
