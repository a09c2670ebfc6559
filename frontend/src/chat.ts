// The conversation controller: sends messages and shows the reply as it streams in (retrying
// while the router restarts, stopping on request), restores the stored conversation on load, and
// starts over on "New conversation".

import {
  ApiError, clearSession, loadSession, sendChat, StreamError, streamChat,
  type ChatMetadata, type ChatReply, type StreamHandlers,
} from './api.ts';
import type { MessageList, StreamingReply } from './messages.ts';
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

/** What the status line under the message box shows. */
export type ChatStatus = 'idle' | 'waiting' | 'streaming' | 'interrupted' | 'error';

/** How the chat tells the rest of the page what it is doing. Called on the page's thread. */
export interface ChatHooks {
  /** A request started or ended (at most one is in flight); `stoppable` while a message is being answered. */
  onBusy(busy: boolean, stoppable: boolean): void;
  /** The backend or router looks unavailable (to refresh the status dot). */
  onTrouble(): void;
  /** A sentence for the status line; '' with `idle`. */
  onStatus(status: ChatStatus, text: string): void;
}

export class Chat {
  private readonly messages: MessageList;
  private readonly hooks: ChatHooks;
  private sessionId: string | null = storedSessionId();
  private controller: AbortController | null = null;
  private stoppable = false; // a message is being answered (not a restore)
  /** Cleared for good once the backend answers 404/405 to /api/chat/stream (an older backend). */
  private streams = true;

  constructor(messages: MessageList, hooks: ChatHooks) {
    this.messages = messages;
    this.hooks = hooks;
  }

  get busy(): boolean {
    return this.controller !== null;
  }

  /** Shows the stored session's messages; forgets the id when the backend no longer knows it. */
  async restore(): Promise<void> {
    const sessionId = this.sessionId;
    if (sessionId === null || this.busy) return;
    const controller = this.begin(false);
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

  /** Stops the reply being generated; what has arrived stays, marked interrupted. */
  stop(): void {
    if (this.stoppable) this.controller?.abort();
  }

  /** Forgets the conversation here and, best effort, on the backend. */
  reset(): void {
    const sessionId = this.sessionId;
    const controller = this.controller;
    this.controller = null; // first: the aborted delivery sees that reset() took over and stays quiet
    controller?.abort();
    this.forget();
    this.messages.clear();
    if (sessionId !== null) clearSession(sessionId);
    this.hooks.onStatus('idle', '');
    this.hooks.onBusy(false, false);
  }

  private async deliver(text: string): Promise<void> {
    const controller = this.begin(true);
    const { signal } = controller;
    const pending = this.messages.addPending();
    let metadata: ChatMetadata = {};
    let reply = null as StreamingReply | null; // set by the first text (`as`: the handlers assign it, TS cannot see that)
    let started = false; // the backend has begun answering: a stop from here on is stored as an interrupted reply
    const handlers: StreamHandlers = {
      onMeta: (meta) => {
        started = true;
        if (typeof meta.sessionId === 'string') this.adopt(meta.sessionId); // a stopped reply is stored in it too
        const { sessionId: _, ...routing } = meta;
        metadata = routing;
        this.hooks.onStatus('streaming', `Answering${meta.agent ? ` (${meta.agent})` : ''}… Stop or Esc ends the reply.`);
      },
      onDelta: (piece) => {
        if (reply === null) {
          pending.remove();
          reply = this.messages.addStreaming(metadata);
        }
        reply.append(piece);
      },
    };
    this.hooks.onStatus('waiting', 'Sending…');
    let attempt = 1;
    try {
      for (;;) {
        try {
          const answer = await this.ask(text, signal, handlers);
          if (signal.aborted) throw signal.reason;
          this.adopt(answer.sessionId);
          if (reply === null) {
            pending.remove();
            this.messages.add('assistant', answer.message, answer.metadata);
          } else {
            reply.finish(answer.message, answer.metadata);
          }
          this.hooks.onStatus('idle', '');
          return;
        } catch (err) {
          // once text is shown, or the stream itself broke, a retry could store the message twice
          if (signal.aborted || reply !== null || err instanceof StreamError) throw err;
          const error = toApiError(err);
          if (!error.isRetryable || attempt >= MAX_ATTEMPTS) throw error;
          this.hooks.onTrouble();
          const delay = Math.min(error.retryAfterMs ?? FIRST_RETRY_DELAY_MS * 2 ** (attempt - 1), MAX_RETRY_DELAY_MS);
          const what = error.status === 503 ? 'router unavailable' : 'backend unreachable';
          attempt++;
          pending.note(`${what}, retrying in ${Math.max(1, Math.round(delay / 1000))} s (attempt ${attempt} of ${MAX_ATTEMPTS})`);
          this.hooks.onStatus('waiting', `Waiting: ${what}.`);
          await sleep(delay, signal);
          if (signal.aborted) throw signal.reason;
          pending.note(`${what}, retrying (attempt ${attempt} of ${MAX_ATTEMPTS})`);
        }
      }
    } catch (err) {
      if (this.controller !== controller) return; // reset() took over: the list is already empty
      if (signal.aborted) {
        pending.remove();
        if (reply === null && started) reply = this.messages.addStreaming(metadata); // as the backend stores it: empty
        reply?.interrupt('stopped');
        this.hooks.onStatus('interrupted', reply === null ? 'Stopped before the reply began.' : 'Stopped. The reply so far is kept, marked interrupted.');
        return;
      }
      const error = toApiError(err);
      if (reply !== null) {
        const details = error.details ? ` (${error.details})` : '';
        reply.interrupt(error.message);
        this.hooks.onStatus('interrupted', `Reply interrupted: ${error.message}${details}.`);
        return;
      }
      pending.remove();
      const sentence = describeError(error, attempt);
      this.hooks.onStatus('error', sentence);
      this.messages.addError(sentence, {
        label: 'Retry',
        run: () => {
          if (!this.busy) void this.deliver(text);
        },
      });
    } finally {
      this.end(controller);
    }
  }

  /** Streams the reply; on a backend without /api/chat/stream, asks /api/chat instead, now and from then on. */
  private async ask(text: string, signal: AbortSignal, handlers: StreamHandlers): Promise<ChatReply> {
    if (this.streams) {
      try {
        return await streamChat(text, this.sessionId, signal, handlers);
      } catch (err) {
        if (!(err instanceof ApiError) || (err.status !== 404 && err.status !== 405)) throw err;
        this.streams = false;
      }
    }
    return sendChat(text, this.sessionId, signal);
  }

  private adopt(sessionId: string): void {
    this.sessionId = sessionId;
    rememberSessionId(sessionId);
  }

  private begin(stoppable: boolean): AbortController {
    const controller = new AbortController();
    this.controller = controller;
    this.stoppable = stoppable;
    this.hooks.onBusy(true, stoppable);
    return controller;
  }

  private end(controller: AbortController): void {
    if (this.controller !== controller) return; // reset() took over
    this.controller = null;
    this.hooks.onBusy(false, false);
  }

  private forget(): void {
    this.sessionId = null;
    forgetSessionId();
  }
}
