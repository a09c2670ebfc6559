// Wires the page: composer (Enter sends, Shift+Enter adds a line; while a reply streams, Stop or
// Esc ends it and Enter keeps the draft), the status line, "New conversation", the status dot and
// restoring the stored conversation.

import './style.css';
import { Chat } from './chat.ts';
import { monitorHealth } from './health.ts';
import { MessageList } from './messages.ts';

function required<T extends HTMLElement>(selector: string): T {
  const element = document.querySelector<T>(selector);
  if (element === null) throw new Error(`index.html has no ${selector}`);
  return element;
}

const input = required<HTMLTextAreaElement>('#message-input');
const form = required<HTMLFormElement>('#composer');
const sendButton = required<HTMLButtonElement>('#send');
const stopButton = required<HTMLButtonElement>('#stop');
const statusLine = required<HTMLElement>('#chat-status');
const newButton = required<HTMLButtonElement>('#new-conversation');
const empty = required<HTMLElement>('#empty');

const list = required<HTMLElement>('#messages');
const messages = new MessageList(list, required('#conversation'), (isEmpty) => {
  empty.hidden = !isEmpty;
});
const health = monitorHealth(required('#status'));
const chat = new Chat(messages, {
  onBusy(busy, stoppable) {
    const stopHadFocus = document.activeElement === stopButton;
    sendButton.disabled = busy;
    sendButton.hidden = busy && stoppable;
    stopButton.hidden = !(busy && stoppable);
    form.setAttribute('aria-busy', String(busy));
    if (stopHadFocus) input.focus(); // the button is going away: keep the focus in the box
  },
  onTrouble: () => health.refresh(),
  onStatus(status, text) {
    statusLine.dataset.state = status;
    statusLine.textContent = text;
  },
});

const MAX_INPUT_HEIGHT_PX = 200;

function fitInput(): void {
  input.style.height = 'auto';
  input.style.height = `${Math.min(input.scrollHeight, MAX_INPUT_HEIGHT_PX)}px`;
}

function submit(): void {
  const text = input.value.trim();
  if (text === '') return;
  if (!chat.send(text)) { // a draft typed while a reply arrives stays in the box
    statusLine.textContent = 'Still answering: your draft is kept. Stop (or Esc) ends the reply.';
    return;
  }
  input.value = '';
  fitInput();
  input.focus();
}

form.addEventListener('submit', (event) => {
  event.preventDefault();
  submit();
});

input.addEventListener('keydown', (event) => {
  if (event.key === 'Enter' && !event.shiftKey && !event.isComposing) {
    event.preventDefault();
    submit();
  } else if (event.key === 'Escape' && chat.busy) {
    event.preventDefault();
    chat.stop();
  }
});

stopButton.addEventListener('click', () => {
  chat.stop();
  input.focus();
});
input.addEventListener('input', fitInput);

newButton.addEventListener('click', () => {
  chat.reset();
  input.focus();
});

// A button inside the conversation (an error's "Retry") removes itself: keep the focus in the box.
list.addEventListener('click', (event) => {
  if (event.target instanceof Element && event.target.closest('button') !== null) input.focus();
});

input.focus();
void chat.restore();
