// A tiny stand-in for chat-backend, for testing the page without Java or the router.
// Usage: node tests/fake-backend.mjs [port]   (0 or nothing = any free port; prints "listening on <port>")
//
// Implements the parts of the API the page uses: POST /api/chat (recalls the previous user
// message for "What did I just say?"), POST /api/chat/stream (the same answer as server-sent
// events: meta, a delta per word every DELTA_MS, done), GET /health, GET|DELETE /api/sessions/{id},
// POST /api/chat/clear. Messages that script a behaviour:
//   simulate router restart   503 (Retry-After: 1) twice, then an answer
//   simulate slow reply       600 words, one every 50 ms: long enough to press Stop
//   simulate held reply       a few deltas written awkwardly (\r\n line endings, a comment, a
//                             two-line data field, a UTF-8 character split across two writes), then
//                             nothing until POST /api/fake/release; done.message ends in " [final]",
//                             which no delta carried, so a test can tell it is shown
//   simulate stream failure   three deltas, then an error event {interrupted:true}
// A stream the client closes before done is recorded (and its partial reply stored with
// metadata.interrupted, as chat-backend does). Fake-only endpoints, under /api so the page's proxy
// reaches them too:
//   GET  /api/fake/aborts     {"aborts":[{sessionId, message, deltasSent, at}]}
//   POST /api/fake/release    lets held replies go on
//   POST /api/fake/config     {"stream": false} answers 404 to /api/chat/stream (an older backend); true undoes it
// Env FAKE_LLM_URL=http://127.0.0.1:<port>/ (an OpenAI-compatible server, e.g. the stand-in model of
// chat.browser.mjs's real-stack mode): messages like the router's information-retrieval examples
// ("tell me about …", "who wrote …") are answered by streaming a completion from it, cancelled when
// the page's stream closes — a way to try that mode without Java and the router.

import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
const llmUrl = process.env.FAKE_LLM_URL || undefined;
const ASKS_FOR_FACTS = /^(tell me about|what is the capital|who wrote|find information)\b/i;
const startedAt = Date.now();
const sessions = new Map(); // id -> { sessionId, messages, createdAt, updatedAt }
let restartFailures = 0;

function send(res, status, body, headers = {}) {
  const data = JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(data), ...headers });
  res.end(data);
}

function fail(res, status, error, details, headers) {
  send(res, status, { success: false, error, details }, headers);
}

async function readJson(req) {
  const chunks = [];
  for await (const chunk of req) chunks.push(chunk);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || 'null');
}

function answer(message, history) {
  if (/what did i (just )?say/i.test(message)) {
    const previous = history.filter((m) => m.role === 'user').at(-1);
    return previous
      ? { agent: 'memory', confidence: 0.93, text: `You said: "${previous.content}"` }
      : { agent: 'memory', confidence: 0.88, text: "You haven't said anything yet." };
  }
  if (/^(hello|hi|hey)\b/i.test(message)) {
    return { agent: 'greeting', confidence: 0.97, text: 'Hello! How can I help you today?' };
  }
  if (llmUrl !== undefined && ASKS_FOR_FACTS.test(message)) {
    return { agent: 'information-retrieval', confidence: 0.9, text: '', llm: true };
  }
  return { agent: 'general', confidence: 0.41, text: `I heard: ${message}`, fallback: true };
}

/** The content pieces of a streamed completion from FAKE_LLM_URL; `signal` cancels the request. */
async function* completion(message, signal) {
  const base = llmUrl.endsWith('/') ? llmUrl : `${llmUrl}/`;
  const response = await fetch(new URL('v1/chat/completions', base), {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ model: 'stand-in', stream: true, messages: [{ role: 'user', content: message }] }),
    signal,
  });
  if (!response.ok) throw new Error(`${base} answered ${response.status}: ${(await response.text()).slice(0, 200)}`);
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body) {
    const events = (buffer += decoder.decode(chunk, { stream: true })).split(/\r?\n\r?\n/);
    buffer = events.pop();
    for (const event of events) {
      const data = event.split(/\r?\n/).filter((line) => line.startsWith('data:')).map((line) => line.slice(5).trim()).join('\n');
      if (data === '[DONE]') return;
      if (data !== '') yield JSON.parse(data).choices?.[0]?.delta?.content ?? '';
    }
  }
}

const DELTA_MS = 25;
const aborts = [];
let streams = true;
let release = released();

function released() {
  let resolve;
  const promise = new Promise((ok) => {
    resolve = ok;
  });
  return { promise, resolve };
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/** Validates the request and picks the answer; null when it has already answered with an error. */
async function prepare(req, res) {
  let body;
  try {
    body = await readJson(req);
  } catch (err) {
    fail(res, 400, 'malformed JSON', err.message);
    return null;
  }
  const message = body?.message;
  if (typeof message !== 'string' || message.trim() === '') {
    fail(res, 400, 'message is required', 'a non-empty string');
    return null;
  }
  if (message === 'simulate router restart' && restartFailures++ < 2) {
    fail(res, 503, 'router unavailable', 'router state RESTARTING', { 'Retry-After': '1' });
    return null;
  }
  const now = new Date().toISOString();
  const sessionId = typeof body.sessionId === 'string' && sessions.has(body.sessionId) ? body.sessionId : randomUUID();
  const session = sessions.get(sessionId) ?? { sessionId, messages: [], createdAt: now, updatedAt: now };
  const reply = answer(message, session.messages);
  const metadata = {
    agent: reply.agent,
    confidence: reply.confidence,
    reasoning: `fake backend matched "${reply.agent}"`,
    fallbackTriggered: reply.fallback === true,
    routerLatencyMs: 3,
    historyLength: session.messages.length,
  };
  const store = (text, extra = {}) => {
    session.messages.push({ role: 'user', content: message, timestamp: now },
      { role: 'assistant', content: text, timestamp: new Date().toISOString(), metadata: { ...metadata, ...extra } });
    session.updatedAt = new Date().toISOString();
    sessions.set(sessionId, session);
  };
  return { message, sessionId, reply, metadata, store, started: process.hrtime.bigint() };
}

const elapsedMs = (started) => Number(process.hrtime.bigint() - started) / 1e6;

async function chat(req, res) {
  const turn = await prepare(req, res);
  if (turn === null) return;
  await sleep(120); // look like real work: the page shows a typing indicator
  let text = turn.reply.text;
  if (turn.reply.llm) for await (const piece of completion(turn.message, AbortSignal.timeout(60_000))) text += piece;
  turn.store(text);
  const metadata = { ...turn.metadata, processingTime: elapsedMs(turn.started) };
  send(res, 200, { success: true, message: text, sessionId: turn.sessionId, metadata });
}

async function chatStream(req, res) {
  if (!streams) return fail(res, 404, 'not found', 'no such path: /api/chat/stream (fake: streams switched off)');
  const turn = await prepare(req, res);
  if (turn === null) return;
  const { message, sessionId, reply, metadata } = turn;
  res.writeHead(200, {
    'Content-Type': 'text/event-stream; charset=utf-8',
    'Cache-Control': 'no-cache, no-transform',
    'X-Accel-Buffering': 'no',
  });
  let id = 0;
  const event = (name, data, eol = '\n') => res.write(`id: ${++id}${eol}event: ${name}${eol}data: ${JSON.stringify(data)}${eol}${eol}`);
  let closed = false;
  let wake = () => undefined;
  const upstream = new AbortController(); // the FAKE_LLM_URL request, if any
  res.on('close', () => {
    closed = !res.writableFinished;
    if (closed) upstream.abort();
    wake();
  });
  /** Waits ms, or less when the client goes away. */
  const pause = (ms) => new Promise((resolve) => {
    const timer = setTimeout(resolve, ms);
    wake = () => {
      clearTimeout(timer);
      resolve();
    };
  });
  let sent = '';
  let deltas = 0;
  const abandoned = () => {
    if (!closed) return false;
    aborts.push({ sessionId, message, deltasSent: deltas, at: new Date().toISOString() });
    console.log(`client closed the stream of "${message}" after ${deltas} deltas`);
    turn.store(sent, { interrupted: true });
    return true;
  };
  const delta = async (text, ms = DELTA_MS) => {
    await pause(ms);
    if (closed) return false;
    event('delta', { text });
    sent += text;
    deltas++;
    return true;
  };

  event('meta', { sessionId, agent: reply.agent, confidence: reply.confidence, reasoning: metadata.reasoning,
    fallbackTriggered: metadata.fallbackTriggered });
  let final = reply.text;
  if (message === 'simulate held reply') {
    if (!await held(res, (text) => { sent += text; deltas++; }, pause, () => closed)) return abandoned();
    await Promise.race([release.promise, pause(30_000)]);
    if (!await delta(' and the rest.', 0)) return abandoned();
    final = `${sent} [final]`;
  } else if (reply.llm) {
    try {
      for await (const text of completion(message, upstream.signal)) {
        if (closed) break;
        if (text === '') continue;
        event('delta', { text });
        sent += text;
        deltas++;
      }
    } catch (err) {
      if (!closed) {
        event('error', { success: false, error: 'model failed', details: `fake backend: ${err.message}`, interrupted: sent !== '' });
        turn.store(sent, { interrupted: true });
        return res.end();
      }
    }
    if (closed) return abandoned();
    final = sent;
  } else {
    const words = message === 'simulate slow reply'
      ? Array.from({ length: 600 }, (_, i) => `word${i + 1} `)
      : reply.text.match(/\S+\s*/g) ?? [reply.text];
    const failAfter = message === 'simulate stream failure' ? 3 : Infinity;
    for (const [i, word] of words.entries()) {
      if (i === failAfter) {
        event('error', { success: false, error: 'router failed', details: 'fake backend: the router closed the stream', interrupted: true });
        turn.store(sent, { interrupted: true });
        return res.end();
      }
      if (!await delta(word, message === 'simulate slow reply' ? 50 : DELTA_MS)) return abandoned();
    }
  }
  turn.store(final);
  event('done', { success: true, message: final, sessionId, metadata: { ...metadata, processingTime: elapsedMs(turn.started) } });
  res.end();
}

/** The awkward part of "simulate held reply"; false when the client went away. */
async function held(res, sent, pause, closed) {
  const writes = [
    'event: delta\r\ndata: {"text":"Streaming"}\r\n\r\n',
    ': heartbeat\r\n\r\n',
    'event: delta\r\ndata: {"text":\r\ndata: ": «Grüße»"}\r\n\r\n',
    Buffer.from('event: delta\ndata: {"text":" from 東京 🚀"}\n\n'),
  ];
  const rocket = writes[3].indexOf(Buffer.from('🚀'));
  writes.splice(3, 1, writes[3].subarray(0, rocket + 2), writes[3].subarray(rocket + 2)); // mid-character
  for (const write of writes) {
    await pause(30);
    if (closed()) return false;
    res.write(write);
  }
  for (const text of ['Streaming', ': «Grüße»', ' from 東京 🚀']) sent(text);
  return true;
}

async function clear(req, res) {
  let body;
  try {
    body = await readJson(req);
  } catch (err) {
    return fail(res, 400, 'malformed JSON', err.message);
  }
  const deleted = sessions.delete(body?.sessionId);
  send(res, 200, { success: true, cleared: deleted });
}

const server = createServer((req, res) => {
  const { pathname } = new URL(req.url, 'http://localhost');
  const session = /^\/api\/sessions\/([^/]+)$/.exec(pathname);
  const route = `${req.method} ${session ? '/api/sessions/{id}' : pathname}`;
  const handle = {
    'POST /api/chat': () => chat(req, res),
    'POST /api/chat/stream': () => chatStream(req, res),
    'GET /api/fake/aborts': () => send(res, 200, { aborts }),
    'POST /api/fake/release': () => {
      release.resolve();
      release = released();
      send(res, 200, { success: true });
    },
    'POST /api/fake/config': async () => {
      const body = await readJson(req);
      if (typeof body?.stream === 'boolean') streams = body.stream;
      send(res, 200, { success: true, stream: streams });
    },
    'POST /api/chat/clear': () => clear(req, res),
    'GET /health': () => send(res, 200, {
      status: 'ok',
      router: { state: 'RUNNING', healthy: true, pid: process.pid, owned: true, restarts: 0, url: 'http://127.0.0.1:8888' },
      store: { backend: 'memory', sessions: sessions.size },
      uptimeS: Math.round((Date.now() - startedAt) / 1000),
    }),
    'GET /api/sessions/{id}': () => {
      const found = sessions.get(decodeURIComponent(session[1]));
      return found ? send(res, 200, found) : fail(res, 404, 'session not found', session[1]);
    },
    'DELETE /api/sessions/{id}': () => send(res, 200, { success: true, deleted: sessions.delete(decodeURIComponent(session[1])) }),
  }[route];
  if (handle === undefined) return fail(res, 404, 'not found', `${req.method} ${pathname}`);
  Promise.resolve(handle()).catch((err) => fail(res, 500, 'fake backend error', String(err)));
});

server.listen(port, '127.0.0.1', () => {
  console.log(`fake backend listening on ${server.address().port}`);
});

for (const signal of ['SIGINT', 'SIGTERM']) {
  process.on(signal, () => {
    server.close();
    server.closeAllConnections();
    process.exit(0);
  });
}
