// Browser test of the chat page in real headless Chromium (Debian's /usr/bin/chromium via
// playwright-core; no browser download).
//
// Usage: node tests/chat.browser.mjs [pageUrl]      (or PAGE_URL=http://127.0.0.1:3000/)
// Env:   SCREENSHOT=path.png  save a PNG of the page mid-conversation
//        CHROMIUM=/path       browser executable (default /usr/bin/chromium)
//        TIMEOUT_MS=30000     how long to wait for each reply
//        FAKE_BACKEND=1       also check streaming (text shown before done, Stop, an error
//                             event, the fallback to /api/chat) and the 503 "router unavailable,
//                             retrying" path (needs tests/fake-backend.mjs behind the page)
//        STAND_IN_LLM_URL=http://127.0.0.1:<port>/   real-stack mode: the page talks to the real
//                             backend and router, whose language-model agents use this stand-in
//                             model server. Configures it (POST /config), sends STAND_IN_MESSAGE,
//                             checks text shows before the reply is done, presses Stop and waits
//                             until the stand-in reports the request "abandoned"; prints
//                             "stop_to_abandon_ms=<n>". STAND_IN_CONFIG (JSON) is merged over the
//                             default config {"tokens":200,"rate":20}; STAND_IN_MESSAGE defaults to
//                             "tell me about the history of the Roman empire" (an example of the
//                             router's information-retrieval agent, handler "llm").
// Exit:  0 all checks passed; 1 a check failed (the message says which); 2 usage error;
//        3 no Chromium at the executable path (callers may skip rather than fail).

import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const XSS = '<img src=x onerror=alert(1)>';
const pageUrl = process.argv[2] ?? process.env.PAGE_URL;
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';
const timeout = Number(process.env.TIMEOUT_MS ?? 30000);
const screenshot = process.env.SCREENSHOT;
const standIn = process.env.STAND_IN_LLM_URL || undefined;
const standInMessage = process.env.STAND_IN_MESSAGE || 'tell me about the history of the Roman empire';

function usage() {
  if (!pageUrl) return 'usage: node tests/chat.browser.mjs <page-url>   (or set PAGE_URL)';
  if (!URL.canParse(pageUrl)) return `the page URL must be an absolute URL, got "${pageUrl}"`;
  if (!(timeout > 0)) return `TIMEOUT_MS must be a positive number of milliseconds, got "${process.env.TIMEOUT_MS}"`;
  if (standIn !== undefined && !/^https?:$/.test(URL.canParse(standIn) ? new URL(standIn).protocol : '')) {
    return `STAND_IN_LLM_URL must be an http(s) base URL, got "${standIn}"`;
  }
  try {
    const extra = JSON.parse(process.env.STAND_IN_CONFIG || '{}');
    if (typeof extra !== 'object' || extra === null || Array.isArray(extra)) throw new Error('not an object');
  } catch (err) {
    return `STAND_IN_CONFIG must be a JSON object, got "${process.env.STAND_IN_CONFIG}" (${err.message})`;
  }
  return null;
}

if (usage() !== null) {
  console.error(usage());
  process.exit(2);
}

if (!existsSync(executablePath)) {
  console.error(`SKIP no Chromium at ${executablePath} (apt-get install -y chromium, or set CHROMIUM)`);
  process.exit(3);
}

class CheckFailed extends Error {}

function check(condition, message) {
  if (!condition) throw new CheckFailed(message);
}

const started = Date.now();
function step(message) {
  console.log(`ok   ${message} (${Date.now() - started} ms)`);
}

const messageTexts = (page, role) =>
  page.$$eval(`#messages .message[data-role="${role}"] .bubble`, (nodes) => nodes.map((n) => n.textContent));

/** Waits (deadline `ms`) until `poll()` returns something truthy and returns it; `what` names it in the failure. */
async function until(what, ms, poll) {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await poll();
    if (value) return value;
    if (Date.now() > deadline) throw new CheckFailed(`${what}: not within ${ms} ms`);
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}

/** Types into the message box and presses Enter, without waiting for anything. */
async function type(page, text) {
  await page.locator('#message-input').fill(text);
  await page.keyboard.press('Enter');
}

/** The last assistant message: its state (streaming, interrupted or ''), text and meta line. */
const lastReply = (page) => page.evaluate(() => {
  const item = [...document.querySelectorAll('#messages .message[data-role="assistant"]')].at(-1);
  return item && {
    state: item.dataset.state ?? '',
    text: item.querySelector('.bubble')?.textContent ?? '',
    meta: item.querySelector('.meta')?.innerText.replace(/\s+/g, ' ').trim() ?? '',
  };
});

/** What the page's controls and status line show. */
const controls = (page) => page.evaluate(() => ({
  sendHidden: document.querySelector('#send').hidden,
  stopHidden: document.querySelector('#stop').hidden,
  status: document.querySelector('#chat-status').textContent,
  statusState: document.querySelector('#chat-status').dataset.state,
  focused: document.activeElement?.id ?? '',
}));

/**
 * Waits until the last reply matches `want`: `state` ('' = complete), `text` (exactly), `includes`
 * (a substring), `nonEmpty`, `count` (the number of replies on the page). Polled every animation
 * frame, so short-lived states are seen too.
 */
async function waitForReply(page, what, want, ms = timeout) {
  try {
    await page.waitForFunction((w) => {
      const items = document.querySelectorAll('#messages .message[data-role="assistant"]');
      const item = items[items.length - 1];
      if (!item || (w.count !== undefined && items.length !== w.count)) return false;
      const text = item.querySelector('.bubble')?.textContent ?? '';
      return (w.state === undefined || (item.dataset.state ?? '') === w.state)
        && (w.text === undefined || text === w.text)
        && (w.includes === undefined || text.includes(w.includes))
        && (!w.nonEmpty || text !== '');
    }, want, { timeout: ms, polling: 'raf' });
  } catch {
    throw new CheckFailed(`${what}: not within ${ms} ms; last reply ${JSON.stringify(await lastReply(page))}, page shows: ${await visibleText(page)}`);
  }
}

/** Types a message and presses Enter; waits for the n-th assistant reply (1-based) to be complete and returns its text. */
async function say(page, text, replyNumber) {
  await type(page, text);
  try {
    await page.waitForFunction(
      (n) => (document.querySelectorAll('#messages .message[data-role="assistant"]').length >= n
          && document.querySelector('#messages .message[data-state="streaming"], #messages .message[data-role="pending"]') === null)
        || document.querySelector('#messages .message[data-role="error"]') !== null,
      replyNumber, { timeout },
    );
  } catch {
    throw new CheckFailed(`no reply to "${text}" within ${timeout} ms; page shows: ${await visibleText(page)}`);
  }
  const error = await page.$eval('#messages', (list) => list.querySelector('.message[data-role="error"]')?.textContent ?? null);
  check(error === null, `sending "${text}" showed an error: ${error}`);
  return (await messageTexts(page, 'assistant'))[replyNumber - 1];
}

async function visibleText(page) {
  return JSON.stringify((await page.$eval('#messages', (list) => list.innerText)).slice(-500));
}

async function run(context) {
  const page = context.pages()[0] ?? await context.newPage();
  const problems = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    // Chromium logs every non-2xx fetch; the 503s of the simulated router restart are expected,
    // and so is the 404 of /api/chat/stream while the fake plays an older backend.
    const expected = /status of 503/.test(msg.text())
      || (/status of 404/.test(msg.text()) && msg.location().url.endsWith('/api/chat/stream'));
    if (msg.type() === 'error' && !expected) problems.push(`console error: ${msg.text()}`);
  });
  page.on('dialog', (dialog) => {
    problems.push(`a dialog opened (${dialog.type()}: ${dialog.message()}): markup was executed`);
    void dialog.dismiss();
  });

  let response;
  try {
    response = await page.goto(pageUrl, { waitUntil: 'load', timeout });
  } catch (err) {
    throw new CheckFailed(`could not open ${pageUrl}: ${err.message.split('\n')[0]}`);
  }
  check(response?.ok(), `GET ${pageUrl} answered ${response?.status()}`);
  await page.waitForSelector('#message-input', { timeout });
  step(`page loaded: ${pageUrl}`);

  const focused = await page.evaluate(() => document.activeElement?.id);
  check(focused === 'message-input', `the message box is not focused on load (focused: ${focused || 'nothing'})`);
  step('message box focused on load');

  await page.keyboard.type('line one');
  await page.keyboard.press('Shift+Enter');
  await page.keyboard.type('line two');
  const draft = await page.inputValue('#message-input');
  check(draft === 'line one\nline two', `Shift+Enter should add a new line, box holds ${JSON.stringify(draft)}`);
  check((await messageTexts(page, 'user')).length === 0, 'Shift+Enter sent the message');
  await page.locator('#message-input').fill('');
  step('Shift+Enter adds a new line without sending');

  const hello = await say(page, 'Hello', 1);
  check((await messageTexts(page, 'user')).includes('Hello'), 'the user bubble "Hello" is missing');
  const meta = await page.$eval('#messages .message[data-role="assistant"] .meta', (node) => node.innerText.replace(/\s+/g, ' '));
  check(/confidence/.test(meta) && /\d\s*(ms|s)\b/.test(meta), `the reply shows no confidence/latency: ${JSON.stringify(meta)}`);
  step(`reply to "Hello": ${JSON.stringify(hello)} [${meta.trim()}]`);

  const sessionId = await page.evaluate(() => localStorage.getItem('airouter.sessionId'));
  check(sessionId, 'no session id was stored in localStorage');

  const recall = await say(page, 'What did I just say?', 2);
  check(/hello/i.test(recall), `the reply to "What did I just say?" does not quote Hello: ${JSON.stringify(recall)}`);
  step(`reply to "What did I just say?": ${JSON.stringify(recall)}`);

  try {
    await page.waitForSelector('#status[data-state="ok"]', { timeout: 10000 });
  } catch {
    const status = await page.$eval('#status', (node) => `${node.dataset.state}: ${node.textContent.trim()} ${node.title}`);
    throw new CheckFailed(`the status dot is not green: ${status}`);
  }
  step('status dot green');

  if (screenshot) {
    await page.screenshot({ path: screenshot });
    step(`screenshot saved to ${screenshot}`);
  }

  await say(page, XSS, 3);
  const xssReply = await say(page, 'What did I just say?', 4);
  const users = await messageTexts(page, 'user');
  check(users.includes(XSS), `the markup message is not shown as text; user bubbles: ${JSON.stringify(users)}`);
  const images = await page.$$eval('img', (nodes) => nodes.length);
  check(images === 0, `${images} <img> element(s) were created from a message`);
  await page.waitForTimeout(200); // let a (wrongly) injected onerror fire, if there were one
  step(`markup rendered as text, no <img> created (recalled: ${JSON.stringify(xssReply)})`);

  if (process.env.FAKE_BACKEND === '1') await fakeStreamChecks(page);
  if (standIn !== undefined) await standInChecks(page);

  const before = (await messageTexts(page, 'user')).length + (await messageTexts(page, 'assistant')).length;
  const interruptedBefore = await interruptedCount(page);
  await page.reload({ waitUntil: 'load' });
  await page.waitForFunction((n) => document.querySelectorAll('#messages .message[data-role="user"], #messages .message[data-role="assistant"]').length >= n,
    before, { timeout }).catch(() => undefined);
  const after = (await messageTexts(page, 'user')).length + (await messageTexts(page, 'assistant')).length;
  check(after === before, `after a reload the conversation has ${after} messages, expected ${before} restored`);
  const interruptedAfter = await interruptedCount(page);
  check(interruptedAfter === interruptedBefore,
    `after a reload ${interruptedAfter} replies are marked interrupted, expected ${interruptedBefore}`);
  step(`reload restored ${after} messages of session ${sessionId}${interruptedAfter ? `, ${interruptedAfter} marked interrupted` : ''}`);

  if (process.env.FAKE_BACKEND === '1') {
    const replies = (await messageTexts(page, 'assistant')).length;
    await type(page, 'simulate router restart');
    await page.waitForFunction(() => /router unavailable, retrying/.test(document.querySelector('#messages')?.textContent ?? ''), null, { timeout });
    step('503 shows "router unavailable, retrying"');
    await waitForReply(page, 'the retried message gets its reply', { state: '', count: replies + 1 });
    step('the retried message got its reply');
    await fakeFallbackCheck(page);
  }

  await page.click('#new-conversation');
  await page.waitForFunction(() => document.querySelectorAll('#messages .message').length === 0, null, { timeout: 5000 });
  const forgotten = await page.evaluate(() => localStorage.getItem('airouter.sessionId'));
  check(forgotten === null, `"New conversation" kept the session id ${forgotten}`);
  const focusedAfter = await page.evaluate(() => document.activeElement?.id);
  check(focusedAfter === 'message-input', `after "New conversation" the focus is on ${focusedAfter || 'nothing'}`);
  step('"New conversation" cleared the list and forgot the session id');

  check(problems.length === 0, problems.join('\n'));
  return page.evaluate(() => navigator.userAgent.match(/(?:Headless)?Chrome\/[\d.]+/)?.[0] ?? 'Chromium');
}

const interruptedCount = (page) => page.$$eval('#messages .message[data-role="assistant"][data-state="interrupted"]',
  (nodes) => nodes.filter((n) => /interrupted/.test(n.querySelector('.meta')?.textContent ?? '')).length);

/** A fake-only endpoint of tests/fake-backend.mjs, reached through the page's proxy. */
async function fake(path, body) {
  const response = await fetch(new URL(`/api/fake/${path}`, pageUrl), body === undefined ? {}
    : { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) });
  check(response.ok, `fake backend: /api/fake/${path} answered ${response.status}`);
  return response.json();
}

/** Streaming against tests/fake-backend.mjs: text before done, Enter while streaming, Stop, an error event. */
async function fakeStreamChecks(page) {
  // (a) Text shows while the reply is held before done, so nothing between fake and page (the
  // Vite proxy included) buffers it; the awkward writes (\r\n, a comment, two-line data, a split
  // UTF-8 character) arrive intact; done.message then replaces the text.
  const held = 'Streaming: «Grüße» from 東京 🚀';
  await type(page, 'simulate held reply');
  await waitForReply(page, 'the held reply shows its text while streaming', { state: 'streaming', text: held });
  let ui = await controls(page);
  check(ui.sendHidden && !ui.stopHidden, `while streaming, Stop should replace Send: ${JSON.stringify(ui)}`);
  check(ui.statusState === 'streaming' && /Answering/.test(ui.status), `the status line does not say it is streaming: ${JSON.stringify(ui)}`);
  step(`text shown before done, through the proxy: ${JSON.stringify(held)}; Stop shown, status "${ui.status}"`);

  const users = (await messageTexts(page, 'user')).length;
  await type(page, 'a draft typed while streaming');
  check(await page.inputValue('#message-input') === 'a draft typed while streaming', 'Enter while streaming lost the draft');
  check((await messageTexts(page, 'user')).length === users, 'Enter while streaming sent a second message');
  await page.locator('#message-input').fill('');
  step('Enter while streaming keeps the draft and sends nothing');

  await fake('release', {});
  await waitForReply(page, 'the held reply completes with done.message', { state: '', text: `${held} and the rest. [final]` });
  ui = await controls(page);
  check(!ui.sendHidden && ui.stopHidden && ui.status === '', `after done, Send should be back and the status line empty: ${JSON.stringify(ui)}`);
  step('done.message replaced the streamed text; Send is back');

  // (b) Stop: the text so far stays, marked interrupted, and the fake backend saw the client close.
  const { aborts: abortsBefore } = await fake('aborts');
  await type(page, 'simulate slow reply');
  await waitForReply(page, 'the slow reply streams', { state: 'streaming', includes: 'word3 ' });
  const clicked = Date.now();
  await page.click('#stop');
  await waitForReply(page, 'Stop marks the reply interrupted', { state: 'interrupted' }, 5000);
  const stopped = await lastReply(page);
  check(/interrupted/.test(stopped.meta), `the stopped reply has no "interrupted" mark: ${JSON.stringify(stopped)}`);
  const abort = await until('the fake backend sees the stream closed after Stop', 10000,
    async () => (await fake('aborts')).aborts.slice(abortsBefore.length).find((a) => a.message === 'simulate slow reply'));
  const seenMs = Date.now() - clicked;
  const words = stopped.text.trim().split(/\s+/).length;
  check(words <= abort.deltasSent && words < 600, `the page shows ${words} words, the fake sent ${abort.deltasSent}`);
  check((await lastReply(page)).text === stopped.text, 'the stopped reply kept growing');
  ui = await controls(page);
  check(ui.statusState === 'interrupted' && /Stopped/.test(ui.status), `the status line does not say it stopped: ${JSON.stringify(ui)}`);
  check(ui.stopHidden && !ui.sendHidden && ui.focused === 'message-input', `after Stop, Send and the focus should be back: ${JSON.stringify(ui)}`);
  step(`Stop after ${words} words: marked interrupted, the fake backend saw the close ${seenMs} ms after the click (${abort.deltasSent} deltas sent)`);

  // (c) An error event mid-stream: the partial reply stays, marked interrupted, with the reason.
  const replies = (await messageTexts(page, 'assistant')).length;
  await type(page, 'simulate stream failure');
  await waitForReply(page, 'an error event marks the reply interrupted', { state: 'interrupted', nonEmpty: true, count: replies + 1 });
  const failed = await lastReply(page);
  ui = await controls(page);
  check(/router failed/.test(failed.meta) && /interrupted/.test(failed.meta), `the broken reply does not say why: ${JSON.stringify(failed)}`);
  check(ui.statusState === 'interrupted' && /router failed/.test(ui.status), `the status line does not report the error: ${JSON.stringify(ui)}`);
  step(`an error event left ${JSON.stringify(failed.text)} marked interrupted ("${ui.status}")`);
}

/** An older backend (404 for /api/chat/stream): one fallback to /api/chat, remembered. */
async function fakeFallbackCheck(page) {
  const posts = [];
  const record = (request) => {
    if (request.method() === 'POST' && /\/api\/chat(\/stream)?$/.test(request.url())) posts.push(new URL(request.url()).pathname);
  };
  await fake('config', { stream: false });
  page.on('request', record);
  try {
    const replies = (await messageTexts(page, 'assistant')).length;
    await say(page, 'Hello from an older backend', replies + 1);
    await say(page, 'What did I just say?', replies + 2);
    const recalled = (await messageTexts(page, 'assistant'))[replies + 1];
    check(/older backend/.test(recalled), `the fallback lost the session: ${JSON.stringify(recalled)}`);
    check(JSON.stringify(posts) === JSON.stringify(['/api/chat/stream', '/api/chat', '/api/chat']),
      `expected one try of /api/chat/stream, then /api/chat only; the page posted ${JSON.stringify(posts)}`);
  } finally {
    page.off('request', record);
    await fake('config', { stream: true });
  }
  step('404 from /api/chat/stream: fell back to /api/chat once and stayed there');
}

/**
 * Real-stack mode: a message the router gives to a language-model agent streams from the
 * stand-in model server; Stop must reach it (the request turns "abandoned").
 */
async function standInChecks(page) {
  const call = async (method, path, body) => {
    const url = new URL(path, standIn.endsWith('/') ? standIn : `${standIn}/`);
    let response;
    try {
      response = await fetch(url, { method, ...(body && { headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body) }) });
    } catch (err) {
      throw new CheckFailed(`stand-in model server: ${method} ${url} failed: ${err.cause?.code ?? err.message}`);
    }
    const text = await response.text();
    check(response.ok, `stand-in model server: ${method} ${url} answered ${response.status}: ${text.slice(0, 200)}`);
    return text === '' ? undefined : JSON.parse(text);
  };
  const config = { tokens: 200, rate: 20, ...JSON.parse(process.env.STAND_IN_CONFIG || '{}') };
  await call('POST', 'config', config);
  await call('DELETE', 'requests');
  const requests = async () => (await call('GET', 'requests')).requests ?? [];
  step(`stand-in at ${standIn} configured: ${JSON.stringify(config)}`);

  await type(page, standInMessage);
  await waitForReply(page, `"${standInMessage}" shows text while streaming`, { state: 'streaming', nonEmpty: true });
  const partial = await lastReply(page);
  const running = await until(`the stand-in has a running request for "${standInMessage}" (reply so far: ${JSON.stringify(partial)})`,
    timeout, async () => (await requests()).find((r) => r.outcome === 'running'));
  step(`text before done: ${JSON.stringify(partial.text.slice(0, 60))} [${partial.meta}]; stand-in request ${running.id} running (stream: ${running.stream})`);

  const clickedAt = Date.now();
  const clicked = performance.now();
  await page.click('#stop');
  const abandoned = await until(`the stand-in reports request ${running.id} abandoned after Stop`, timeout, async () => {
    const request = (await requests()).find((r) => r.id === running.id);
    check(request?.outcome !== 'completed', `the stand-in sent all ${request?.tokens_sent} tokens of request ${running.id}: Stop did not reach the model`);
    return request?.outcome === 'abandoned' ? request : undefined;
  });
  // From the stand-in's ended_ns when it is a wall-clock time (fake_llm.py's is), else from when the poll saw it.
  const polledMs = Math.round(performance.now() - clicked);
  const endedMs = typeof abandoned.ended_ns === 'number' ? Math.round(abandoned.ended_ns / 1e6 - clickedAt) : NaN;
  const [ms, how] = endedMs >= 0 && endedMs <= polledMs ? [endedMs, 'by its ended_ns'] : [polledMs, 'as polled'];
  await waitForReply(page, 'Stop marks the reply interrupted', { state: 'interrupted' }, 5000);
  step(`Stop reached the model: request ${abandoned.id} abandoned ${ms} ms after the click, ${how} (polled: ${polledMs} ms; ${abandoned.tokens_sent} of ${config.tokens} tokens sent)`);
  console.log(`stop_to_abandon_ms=${ms}`);

  const sessionId = await page.evaluate(() => localStorage.getItem('airouter.sessionId'));
  await until(`GET /api/sessions/${sessionId} shows the stopped reply with metadata.interrupted`, timeout, () => page.evaluate(async (id) => {
    const response = await fetch(`/api/sessions/${encodeURIComponent(id)}`);
    const last = response.ok ? (await response.json()).messages?.at(-1) : undefined;
    return last?.role === 'assistant' && last.metadata?.interrupted === true;
  }, sessionId));
  step('the backend stored the stopped reply with metadata.interrupted');
}

// A fresh, throw-away profile per run: nothing carries over between runs.
const userDataDir = await mkdtemp(join(tmpdir(), 'airouter-chromium-'));
let context;
let exitCode = 0;
try {
  context = await chromium.launchPersistentContext(userDataDir, {
    executablePath,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1100, height: 760 },
    timeout,
  });
  const browserVersion = await run(context);
  console.log(`PASS chat page works in ${browserVersion} (${Date.now() - started} ms)`);
} catch (err) {
  exitCode = 1;
  console.error(err instanceof CheckFailed ? `FAIL ${err.message}` : `FAIL ${err?.stack ?? err}`);
} finally {
  await context?.close().catch(() => undefined);
  await rm(userDataDir, { recursive: true, force: true }).catch(() => undefined);
}
process.exit(exitCode);
