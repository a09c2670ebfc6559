// Express 5 + node-redis 5 peer of airouter's POST /api/chat, for benchmarks.
// Configuration: see README.md. Prints one line when listening:
//   express peer listening on http://<host>:<port>
import cluster from 'node:cluster';
import crypto from 'node:crypto';
import http from 'node:http';
import express from 'express';
import { createClient } from 'redis';

// ---------------------------------------------------------------- configuration

function intEnv(name, fallback, min) {
  const raw = process.env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) fail(`${name} must be an integer >= ${min}, got '${raw}'`);
  return n;
}

function fail(message) {
  console.error(`express peer: ${message}`);
  process.exit(1);
}

const HOST = process.env.HOST || '127.0.0.1';
const PORT = intEnv('PORT', 0, 0);
const HISTORY_LIMIT = intEnv('HISTORY_LIMIT', 20, 1);
const SESSION_TTL_SECONDS = intEnv('SESSION_TTL_SECONDS', 1800, 1);
const ROUTER_TIMEOUT_MS = intEnv('ROUTER_TIMEOUT_MS', 30000, 1);
const WEB_CONCURRENCY = intEnv('WEB_CONCURRENCY', 1, 1);
const REDIS_URL = process.env.REDIS_URL && process.env.REDIS_URL !== 'none' ? process.env.REDIS_URL : null;
if (!process.env.ROUTER_URL) fail('ROUTER_URL is required, e.g. ROUTER_URL=http://127.0.0.1:8000');
let ROUTE_URL;
try {
  ROUTE_URL = new URL('/route', process.env.ROUTER_URL);
} catch {
  fail(`ROUTER_URL is not a URL: '${process.env.ROUTER_URL}'`);
}
if (ROUTE_URL.protocol !== 'http:') fail('ROUTER_URL must be an http:// URL');
if (WEB_CONCURRENCY > 1 && !REDIS_URL) fail('WEB_CONCURRENCY > 1 needs REDIS_URL (the in-memory store is per process)');

const SESSION_ID = /^[A-Za-z0-9_-]{1,128}$/;

// ---------------------------------------------------------------- errors

class HttpError extends Error {
  constructor(status, error, details) {
    super(details);
    this.status = status;
    this.error = error;
    this.details = details;
  }
}

const badRequest = (details) => new HttpError(400, 'invalid request', details);

async function storeCall(promise) {
  try {
    return await promise;
  } catch (err) {
    throw new HttpError(503, 'store unavailable', err.message);
  }
}

// ---------------------------------------------------------------- session stores

const toTurn = (m) => ({ role: m.role, content: m.content });

/** Redis: one list per session, each element a JSON message; the last HISTORY_LIMIT kept. */
class RedisStore {
  constructor(url) {
    let ready = false;
    this.client = createClient({
      url,
      // fail fast (-> 503) instead of queueing commands while Redis is down
      disableOfflineQueue: true,
      socket: {
        connectTimeout: 5000,
        // give up at start-up (exit 1); once up, reconnect with a capped backoff
        reconnectStrategy: (retries, cause) => (ready ? Math.min(50 * 2 ** retries, 2000) : cause),
      },
    });
    this.client.on('ready', () => { ready = true; });
    this.client.on('error', (err) => { if (ready) console.error(`redis: ${err.message}`); });
  }

  connect() { return this.client.connect(); }

  close() { return this.client.close(); }

  static key(id) { return `chat:{${id}}:messages`; }

  async history(id) {
    const items = await this.client.lRange(RedisStore.key(id), -HISTORY_LIMIT, -1);
    return items.map((s) => toTurn(JSON.parse(s)));
  }

  async append(id, user, reply) {
    const key = RedisStore.key(id);
    await this.client.multi()
      .rPush(key, [JSON.stringify(user), JSON.stringify(reply)])
      .lTrim(key, -HISTORY_LIMIT, -1)
      .expire(key, SESSION_TTL_SECONDS)
      .exec();
  }

  async messages(id) {
    const items = await this.client.lRange(RedisStore.key(id), 0, -1);
    return items.length ? items.map((s) => JSON.parse(s)) : null;
  }
}

/** In memory: the same semantics (last HISTORY_LIMIT messages, sliding TTL) in a Map. */
class MemoryStore {
  constructor() {
    this.sessions = new Map(); // id -> { messages, expiresAt }
    this.sweeper = setInterval(() => {
      const now = Date.now();
      for (const [id, s] of this.sessions) if (s.expiresAt <= now) this.sessions.delete(id);
    }, 60_000).unref();
  }

  async connect() {}

  async close() { clearInterval(this.sweeper); }

  live(id) {
    const s = this.sessions.get(id);
    if (s && s.expiresAt <= Date.now()) {
      this.sessions.delete(id);
      return undefined;
    }
    return s;
  }

  async history(id) {
    const s = this.live(id);
    return s ? s.messages.slice(-HISTORY_LIMIT).map(toTurn) : [];
  }

  async append(id, user, reply) {
    let s = this.live(id);
    if (!s) this.sessions.set(id, (s = { messages: [], expiresAt: 0 }));
    s.messages.push(user, reply);
    if (s.messages.length > HISTORY_LIMIT) s.messages.splice(0, s.messages.length - HISTORY_LIMIT);
    s.expiresAt = Date.now() + SESSION_TTL_SECONDS * 1000;
  }

  async messages(id) {
    const s = this.live(id);
    return s ? s.messages : null;
  }
}

// ---------------------------------------------------------------- router client

// http.request over a keep-alive Agent (measured faster than global fetch here; see README).
// Idle sockets are dropped after 10 s, before the router's own 15 s idle timeout can close one
// just as a request is sent on it ("socket hang up").
const routerAgent = new http.Agent({ keepAlive: true, maxSockets: 128, timeout: 10_000 });

function postJson(url, payload) {
  const body = JSON.stringify(payload);
  return new Promise((resolve, reject) => {
    const req = http.request(url, {
      method: 'POST',
      agent: routerAgent,
      timeout: ROUTER_TIMEOUT_MS,
      headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) },
    }, (res) => {
      const chunks = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode, text: Buffer.concat(chunks).toString('utf8') }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new HttpError(504, 'router timeout',
      `the router did not answer within ${ROUTER_TIMEOUT_MS} ms`)));
    req.on('error', reject);
    req.end(body);
  });
}

/** POST /route; returns the router's answer and the round trip in ms, or throws an HttpError. */
async function route(query, sessionId, history, agent) {
  const payload = { query, session_id: sessionId, history };
  if (agent) payload.agent = agent;
  const started = performance.now();
  let res;
  try {
    res = await postJson(ROUTE_URL, payload);
  } catch (err) {
    if (err instanceof HttpError) throw err;
    throw new HttpError(502, 'router failed', `cannot reach the router at ${ROUTE_URL.origin}: ${err.message}`);
  }
  const millis = performance.now() - started;
  let answer = null;
  try { answer = JSON.parse(res.text); } catch { /* not JSON */ }
  const reason = answer && typeof answer.error === 'string' ? answer.error : null;
  if (res.status === 429) {
    throw new HttpError(503, 'router busy', `the router answered HTTP 429${reason ? `: ${reason}` : ''}; retry in a moment`);
  }
  if (res.status >= 400 && res.status < 500) {
    // passed through: with the router's own validation (unknown agent, ...) it is the client's mistake
    throw new HttpError(res.status, 'router rejected the request', `the router answered HTTP ${res.status}${reason ? `: ${reason}` : ''}`);
  }
  if (res.status !== 200 || !answer || typeof answer.content !== 'string') {
    throw new HttpError(502, 'router failed', `the router answered HTTP ${res.status} to POST /route${reason ? `: ${reason}` : ' without a valid answer'}`);
  }
  return { answer, millis };
}

// ---------------------------------------------------------------- app

const round1 = (ms) => Math.round(ms * 10) / 10;

function createApp(store) {
  const app = express();
  app.disable('x-powered-by');
  app.set('etag', false);
  app.use(express.json());

  app.get('/health', (req, res) => {
    res.json({ status: 'ok' });
  });

  app.post('/api/chat', async (req, res) => {
    const started = performance.now();
    const body = req.body;
    if (body === null || typeof body !== 'object' || Array.isArray(body)) {
      throw badRequest('send a JSON object, e.g. {"message":"Hello","sessionId":"my-session-1"}');
    }
    const { message, sessionId: givenId, agent: givenAgent, useHistory = true } = body;
    if (typeof message !== 'string' || message.trim() === '') {
      throw badRequest("'message' must be a non-empty string");
    }
    if (givenId != null && (typeof givenId !== 'string' || !SESSION_ID.test(givenId))) {
      throw badRequest("'sessionId' must be 1-128 characters of [A-Za-z0-9_-]; omit it to start a new session");
    }
    if (givenAgent != null && typeof givenAgent !== 'string') {
      throw badRequest("'agent' must be a string (an agent name, or \"auto\")");
    }
    if (typeof useHistory !== 'boolean') {
      throw badRequest("'useHistory' must be true or false");
    }
    const agent = givenAgent && givenAgent.trim() !== 'auto' ? givenAgent.trim() : undefined;
    const sessionId = givenId ?? crypto.randomUUID();

    // a session id made up just now has no history
    const history = givenId != null && useHistory ? await storeCall(store.history(sessionId)) : [];
    const { answer, millis } = await route(message, sessionId, history, agent);

    const stamp = {
      agent: answer.agent ?? '',
      confidence: answer.confidence ?? 0,
      fallbackTriggered: answer.fallback_triggered ?? false,
    };
    const now = new Date().toISOString();
    await storeCall(store.append(sessionId,
      { role: 'user', content: message, timestamp: now },
      { role: 'assistant', content: answer.content, timestamp: now, metadata: stamp }));

    res.json({
      success: true,
      message: answer.content,
      sessionId,
      metadata: {
        ...stamp,
        reasoning: answer.reasoning ?? '',
        processingTime: round1(performance.now() - started),
        routerLatencyMs: round1(millis),
        historyLength: history.length,
      },
    });
  });

  app.get('/api/sessions/:id', async (req, res) => {
    const id = req.params.id;
    if (!SESSION_ID.test(id)) throw badRequest('session ids are 1-128 characters of [A-Za-z0-9_-]');
    const messages = await storeCall(store.messages(id));
    if (!messages) {
      throw new HttpError(404, 'session not found', `no session ${id} (it never existed or expired after inactivity)`);
    }
    res.json({ success: true, sessionId: id, messages });
  });

  app.use((req, res) => {
    res.status(404).json({ success: false, error: 'not found', details: `no route for ${req.method} ${req.path}` });
  });

  // eslint-disable-next-line no-unused-vars
  app.use((err, req, res, next) => {
    if (err instanceof HttpError) {
      if (err.status >= 500) console.error(`${req.method} ${req.path} ${err.status}: ${err.error}: ${err.details}`);
      res.status(err.status).json({ success: false, error: err.error, details: err.details });
    } else if (err.type === 'entity.parse.failed') {
      res.status(400).json({ success: false, error: 'invalid request', details: `malformed JSON: ${err.message}` });
    } else if (err.status >= 400 && err.status < 500) { // body-parser: too large, bad charset, ...
      res.status(err.status).json({ success: false, error: 'invalid request', details: err.message });
    } else {
      console.error(err);
      res.status(500).json({ success: false, error: 'internal error', details: err.message });
    }
  });

  return app;
}

// ---------------------------------------------------------------- start / stop

async function startWorker() {
  const store = REDIS_URL ? new RedisStore(REDIS_URL) : new MemoryStore();
  try {
    await store.connect();
  } catch (err) {
    fail(`cannot connect to Redis at ${REDIS_URL}: ${err.message}`);
  }
  const server = http.createServer(createApp(store));
  server.on('error', (err) => fail(`cannot listen on ${HOST}:${PORT}: ${err.message}`));
  server.listen(PORT, HOST, () => {
    const { port } = server.address();
    if (cluster.isPrimary) console.log(`express peer listening on http://${HOST}:${port}`);
    else process.send({ listening: port });
  });

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), 10_000).unref(); // do not wait forever for slow clients
    server.close(async () => {
      routerAgent.destroy();
      try { await store.close(); } catch (err) { console.error(`closing the store: ${err.message}`); }
      process.exit(0);
    });
    server.closeIdleConnections();
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

function startPrimary() {
  // WEB_CONCURRENCY > 1: one worker per process sharing the port (node:cluster), Redis only
  let announced = false;
  let stopping = false;
  for (let i = 0; i < WEB_CONCURRENCY; i++) {
    cluster.fork().on('message', (msg) => {
      if (msg && msg.listening && !announced) {
        announced = true;
        console.log(`express peer listening on http://${HOST}:${msg.listening}`);
      }
    });
  }
  cluster.on('exit', (worker, code) => {
    if (!stopping) {
      console.error(`express peer: worker ${worker.process.pid} exited (${code}); stopping`);
      stop();
    }
    if (Object.keys(cluster.workers).length === 0) process.exit(stopping ? 0 : 1);
  });
  const stop = () => {
    stopping = true;
    for (const w of Object.values(cluster.workers)) w.process.kill('SIGTERM');
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (cluster.isPrimary && WEB_CONCURRENCY > 1) startPrimary();
else startWorker();
