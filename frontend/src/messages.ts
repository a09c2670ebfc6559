// Renders the conversation. Every piece of text goes through textContent, never innerHTML:
// a message (or a reply that quotes one) must not be able to inject markup.

import type { ChatMetadata } from './api.ts';

export type Role = 'user' | 'assistant';

/** A placeholder reply while a request is in flight; its note says what is happening. */
export interface Pending {
  note(text: string): void;
  remove(): void;
}

/** A reply that is still arriving; its bubble grows with each piece of text. */
export interface StreamingReply {
  /** Adds text at the end (as text: never parsed as markup). */
  append(text: string): void;
  /** The reply is complete: shows `text`, the backend's whole reply, and its metadata. */
  finish(text: string, metadata: ChatMetadata): void;
  /** The reply stopped early: the text so far stays, marked interrupted, with `reason` beside it. */
  interrupt(reason: string): void;
}

function el<K extends keyof HTMLElementTagNameMap>(tag: K, className: string, text?: string): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
}

export function formatConfidence(confidence: number): string {
  const percent = confidence <= 1 ? confidence * 100 : confidence;
  return `${Math.round(percent)}% confidence`;
}

export function formatLatency(value: number | string): string {
  if (typeof value === 'string') return value;
  return value < 1000 ? `${Math.round(value)} ms` : `${(value / 1000).toFixed(1)} s`;
}

function formatTime(timestamp: string | number | undefined): string | undefined {
  if (timestamp === undefined) return undefined;
  const date = new Date(timestamp);
  return Number.isNaN(date.getTime()) ? undefined : date.toLocaleString();
}

export class MessageList {
  private readonly list: HTMLElement;
  private readonly scroller: HTMLElement;
  private readonly onChange: (empty: boolean) => void;

  constructor(list: HTMLElement, scroller: HTMLElement, onChange: (empty: boolean) => void) {
    this.list = list;
    this.scroller = scroller;
    this.onChange = onChange;
  }

  get isEmpty(): boolean {
    return this.list.childElementCount === 0;
  }

  add(role: Role, text: string, metadata?: ChatMetadata, timestamp?: string | number): HTMLElement {
    const item = el('article', `message message-${role}`);
    item.dataset.role = role;
    item.append(el('span', 'visually-hidden', role === 'user' ? 'You said:' : 'airouter replied:'));
    const bubble = el('div', 'bubble', text);
    const time = formatTime(timestamp ?? Date.now());
    if (time !== undefined) bubble.title = time;
    item.append(bubble);
    if (role === 'assistant' && metadata !== undefined) item.append(this.meta(metadata));
    if (metadata?.interrupted) item.dataset.state = 'interrupted';
    return this.append(item);
  }

  /**
   * An assistant reply that streams in: `data-state` is `streaming` until it is finished
   * (removed) or interrupted (`interrupted`). `metadata` is what the stream's `meta` event said.
   */
  addStreaming(metadata: ChatMetadata): StreamingReply {
    const item = this.add('assistant', '', metadata);
    item.dataset.state = 'streaming';
    item.setAttribute('aria-busy', 'true');
    const bubble = item.querySelector<HTMLElement>('.bubble') ?? item;
    let scrollQueued = false;
    const settle = (state: 'done' | 'interrupted', meta: HTMLElement): void => {
      item.removeAttribute('aria-busy');
      if (state === 'done') delete item.dataset.state;
      else item.dataset.state = state;
      item.querySelector('.meta')?.remove();
      item.append(meta);
      this.scrollToEnd();
    };
    return {
      append: (text) => {
        bubble.append(text); // a Text node
        if (scrollQueued) return;
        scrollQueued = true; // once per burst of events, not once per piece
        queueMicrotask(() => {
          scrollQueued = false;
          this.scrollToEnd();
        });
      },
      finish: (text, final) => {
        bubble.textContent = text;
        settle('done', this.meta(final));
      },
      interrupt: (reason) => {
        const meta = this.meta({ ...metadata, interrupted: true });
        meta.append(el('span', 'meta-note', reason));
        settle('interrupted', meta);
      },
    };
  }

  /** An inline error with an optional action (e.g. "Retry"). */
  addError(text: string, action?: { label: string; run: () => void }): HTMLElement {
    const item = el('div', 'message message-error');
    item.dataset.role = 'error';
    item.setAttribute('role', 'alert');
    item.append(el('p', 'error-text', text));
    if (action !== undefined) {
      const button = el('button', 'button button-small', action.label);
      button.type = 'button';
      button.addEventListener('click', () => {
        item.remove();
        this.onChange(this.isEmpty);
        action.run();
      });
      item.append(button);
    }
    return this.append(item);
  }

  addPending(): Pending {
    const item = el('article', 'message message-assistant message-pending');
    item.dataset.role = 'pending';
    item.setAttribute('aria-busy', 'true');
    const bubble = el('div', 'bubble');
    bubble.append(el('span', 'visually-hidden', 'airouter is answering'));
    const dots = el('span', 'typing');
    dots.setAttribute('aria-hidden', 'true');
    dots.append(el('span', ''), el('span', ''), el('span', ''));
    bubble.append(dots);
    const note = el('div', 'meta meta-note');
    item.append(bubble, note);
    this.append(item);
    return {
      note: (text) => {
        note.textContent = text;
        this.scrollToEnd();
      },
      remove: () => {
        item.remove();
        this.onChange(this.isEmpty);
      },
    };
  }

  clear(): void {
    this.list.replaceChildren();
    this.onChange(true);
  }

  private meta(metadata: ChatMetadata): HTMLElement {
    const meta = el('div', 'meta');
    if (metadata.agent) {
      const agent = el('span', 'chip chip-agent');
      agent.append(el('span', 'visually-hidden', 'Agent: '), metadata.agent);
      meta.append(agent);
    }
    if (typeof metadata.confidence === 'number') meta.append(el('span', 'chip', formatConfidence(metadata.confidence)));
    const latency = metadata.processingTime ?? metadata.routerLatencyMs;
    if (latency !== undefined) meta.append(el('span', 'chip', formatLatency(latency)));
    if (metadata.fallbackTriggered) meta.append(el('span', 'chip chip-warn', 'fallback'));
    if (metadata.interrupted) meta.append(el('span', 'chip chip-warn chip-interrupted', 'interrupted'));

    const details: string[] = [];
    if (metadata.reasoning) details.push(metadata.reasoning);
    if (typeof metadata.routerLatencyMs === 'number') details.push(`router ${formatLatency(metadata.routerLatencyMs)}`);
    if (typeof metadata.historyLength === 'number') details.push(`${metadata.historyLength} messages of history`);
    if (details.length > 0) meta.title = details.join(' · ');
    return meta;
  }

  private append(item: HTMLElement): HTMLElement {
    this.list.append(item);
    this.onChange(false);
    this.scrollToEnd();
    return item;
  }

  private scrollToEnd(): void {
    this.scroller.scrollTop = this.scroller.scrollHeight;
  }
}
