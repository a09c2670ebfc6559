// Browser test of the chat page in real headless Chromium (Debian's /usr/bin/chromium via
// playwright-core; no browser download).
//
// Usage: node tests/chat.browser.mjs [pageUrl]      (or PAGE_URL=http://127.0.0.1:3000/)
// Env:   SCREENSHOT=path.png  save a PNG of the page mid-conversation
//        CHROMIUM=/path       browser executable (default /usr/bin/chromium)
//        TIMEOUT_MS=30000     how long to wait for each reply
//        FAKE_BACKEND=1       also check the 503 "router unavailable, retrying" path
//                             (needs tests/fake-backend.mjs behind the page)
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

if (!pageUrl || !(timeout > 0)) {
  console.error(!pageUrl
    ? 'usage: node tests/chat.browser.mjs <page-url>   (or set PAGE_URL)'
    : `TIMEOUT_MS must be a positive number of milliseconds, got "${process.env.TIMEOUT_MS}"`);
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

/** Types into the message box and presses Enter; waits for the n-th assistant reply (1-based) and returns its text. */
async function say(page, text, replyNumber) {
  await page.locator('#message-input').fill(text);
  await page.keyboard.press('Enter');
  try {
    await page.waitForFunction(
      (n) => document.querySelectorAll('#messages .message[data-role="assistant"]').length >= n
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
    // Chromium logs every non-2xx fetch; the 503s of the simulated router restart are expected.
    if (msg.type() === 'error' && !/status of 503/.test(msg.text())) problems.push(`console error: ${msg.text()}`);
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

  const before = (await messageTexts(page, 'user')).length + (await messageTexts(page, 'assistant')).length;
  await page.reload({ waitUntil: 'load' });
  await page.waitForFunction((n) => document.querySelectorAll('#messages .message[data-role="user"], #messages .message[data-role="assistant"]').length >= n,
    before, { timeout }).catch(() => undefined);
  const after = (await messageTexts(page, 'user')).length + (await messageTexts(page, 'assistant')).length;
  check(after === before, `after a reload the conversation has ${after} messages, expected ${before} restored`);
  step(`reload restored ${after} messages of session ${sessionId}`);

  if (process.env.FAKE_BACKEND === '1') {
    await page.locator('#message-input').fill('simulate router restart');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => /router unavailable, retrying/.test(document.querySelector('#messages')?.textContent ?? ''), null, { timeout });
    step('503 shows "router unavailable, retrying"');
    await page.waitForFunction(() => document.querySelectorAll('#messages .message[data-role="assistant"]').length >= 5
      && !document.querySelector('#messages .message[data-role="pending"]'), null, { timeout });
    step('the retried message got its reply');
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
