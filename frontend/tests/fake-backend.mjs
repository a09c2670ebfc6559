// A tiny stand-in for chat-backend, for testing the page without Java or the router.
// Usage: node tests/fake-backend.mjs [port]   (0 or nothing = any free port; prints "listening on <port>")
//
// Implements the parts of the API the page uses: POST /api/chat (recalls the previous user
// message for "What did I just say?"), GET /health, GET|DELETE /api/sessions/{id}, POST /api/chat/clear.
// The message "simulate router restart" is answered with 503 twice before it succeeds, to show
// the page's "router unavailable, retrying" path.

import { randomUUID } from 'node:crypto';
import { createServer } from 'node:http';

const port = Number(process.argv[2] ?? 0);
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
  return { agent: 'general', confidence: 0.41, text: `I heard: ${message}`, fallback: true };
}

async function chat(req, res) {
  let body;
  try {
    body = await readJson(req);
  } catch (err) {
    return fail(res, 400, 'malformed JSON', err.message);
  }
  const message = body?.message;
  if (typeof message !== 'string' || message.trim() === '') return fail(res, 400, 'message is required', 'a non-empty string');
  if (message === 'simulate router restart' && restartFailures++ < 2) {
    return fail(res, 503, 'router unavailable', 'router state RESTARTING', { 'Retry-After': '1' });
  }
  const started = process.hrtime.bigint();
  const now = new Date().toISOString();
  const sessionId = typeof body.sessionId === 'string' && sessions.has(body.sessionId) ? body.sessionId : randomUUID();
  const session = sessions.get(sessionId) ?? { sessionId, messages: [], createdAt: now, updatedAt: now };
  const reply = answer(message, session.messages);
  await new Promise((resolve) => setTimeout(resolve, 120)); // look like real work: the page shows a typing indicator
  const metadata = {
    agent: reply.agent,
    confidence: reply.confidence,
    reasoning: `fake backend matched "${reply.agent}"`,
    fallbackTriggered: reply.fallback === true,
    routerLatencyMs: 3,
    historyLength: session.messages.length,
  };
  session.messages.push({ role: 'user', content: message, timestamp: now },
    { role: 'assistant', content: reply.text, timestamp: new Date().toISOString(), metadata });
  session.updatedAt = new Date().toISOString();
  sessions.set(sessionId, session);
  metadata.processingTime = Number(process.hrtime.bigint() - started) / 1e6;
  send(res, 200, { success: true, message: reply.text, sessionId, metadata });
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
