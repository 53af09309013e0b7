#!/usr/bin/env node
// A dependency-free mock of the Corral API (docs/API.md) for UI development and screenshots.
// It serves the built UI (../target/classes/static) with SPA fallback and keeps everything in memory.
//
//   npm run build && node dev/mock-server.mjs            # http://127.0.0.1:8090
//
// Environment:
//   PORT=8090             port (127.0.0.1 only)
//   MOCK_SEED=1           start with users admin/alice (password "correct-horse-battery") and sample chats
//   MOCK_AUTO_LOGIN=admin treat every request without a session as signed in as this user (screenshots)
//   MOCK_OLLAMA_DOWN=1    GET /api/models answers 502 ollama_unreachable (toggle: POST /mock/ollama?down=0|1)
//   MOCK_DELAY_MS=35      delay between streamed deltas
// Message text triggers: "fail" → the answer fails half-way; "slow" → very slow answer; "long" → long answer.
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import crypto from 'node:crypto';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
const STATIC_DIR = path.resolve(here, '../../target/classes/static');
const PORT = Number(process.env.PORT || 8090);
const DELAY = Number(process.env.MOCK_DELAY_MS || 35);
const OLLAMA_URL = 'http://127.0.0.1:11434';
let ollamaDown = process.env.MOCK_OLLAMA_DOWN === '1';

// ------------------------------------------------------------------ state
const users = new Map(); // id -> {id, username, role, enabled, createdAt, password}
const sessions = new Map(); // sid -> userId
const conversations = new Map(); // id -> {conv, messages[], ownerId}
const generations = new Map(); // assistant message id -> {listeners:Set, stopped:boolean}

const models = [
  { name: 'llama3.2:3b', size: 2019393189, family: 'llama', parameterSize: '3.2B', quantization: 'Q4_K_M', modifiedAt: '2026-10-02T10:00:00Z' },
  { name: 'qwen2.5-coder:7b', size: 4683087332, family: 'qwen2', parameterSize: '7.6B', quantization: 'Q4_K_M', modifiedAt: '2026-10-12T10:00:00Z' },
  { name: 'mistral:7b', size: 4113301824, family: 'llama', parameterSize: '7.2B', quantization: 'Q4_0', modifiedAt: '2026-09-01T10:00:00Z' },
];

const id = () => crypto.randomUUID();
const now = () => new Date().toISOString();

function addUser(username, password, role) {
  const u = { id: id(), username, role, enabled: true, createdAt: now(), password };
  users.set(u.id, u);
  return u;
}
const publicUser = ({ password, ...u }) => u;
const summary = ({ systemPrompt, temperature, ...s }) => s;

function newMessage(role, content, status, model, parentId) {
  const t = now();
  return { id: id(), parentId, role, content, status, model, createdAt: t, updatedAt: t, error: null, stats: null };
}

function addConversation(ownerId, title, model, pairs, ageMinutes) {
  const t = new Date(Date.now() - ageMinutes * 60000).toISOString();
  const conv = { id: id(), title, model, createdAt: t, updatedAt: t, generating: false, systemPrompt: null, temperature: null };
  const messages = [];
  let parent = null;
  for (const [q, a] of pairs) {
    const u = newMessage('user', q, 'complete', null, parent);
    const m = newMessage('assistant', a, 'complete', model, u.id);
    m.stats = fakeStats(a);
    messages.push(u, m);
    parent = m.id;
  }
  conversations.set(conv.id, { conv, messages, ownerId });
  return conv;
}

function fakeStats(text) {
  const evalCount = Math.max(1, Math.round(text.length / 4));
  return {
    doneReason: 'stop', promptEvalCount: 26, evalCount,
    totalDurationNs: evalCount * 55e6 + 4e8, loadDurationNs: 1.2e8, promptEvalDurationNs: 9e7, evalDurationNs: evalCount * 54.6e6,
  };
}

const SAMPLE_ANSWER = `Sure! Here is a small **TypeScript** function that debounces another function:

\`\`\`ts
export function debounce<T extends (...args: never[]) => void>(fn: T, ms = 200) {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return (...args: Parameters<T>) => {
    clearTimeout(timer);
    timer = setTimeout(() => fn(...args), ms);
  };
}
\`\`\`

How it works:

1. Every call clears the pending timer.
2. Only the **last** call within \`ms\` milliseconds runs.

| Option | Default | Meaning |
| --- | --- | --- |
| \`ms\` | 200 | wait time |

> Tip: for scroll handlers, consider \`requestAnimationFrame\` instead.

Raw HTML is sanitized: <img src=x onerror="alert(1)"> <script>alert('xss')</script> <b>bold stays</b>.`;

function seed() {
  const admin = addUser('admin', 'correct-horse-battery', 'admin');
  const alice = addUser('alice', 'correct-horse-battery', 'user');
  users.get(alice.id).createdAt = '2026-11-01T09:00:00.000Z';
  const titles = [
    'Debounce helper in TypeScript', 'Explain Rust lifetimes simply', 'SQL: find duplicate emails',
    'Plan a 3-day trip to Lisbon', 'Bash loop over files with spaces', 'What is a monad?',
    'Kubernetes liveness vs readiness', 'Write a haiku about autumn', 'Python dataclass vs namedtuple',
    'Regex for ISO dates', 'Go channels: buffered or not', 'CSS grid holy grail layout',
  ];
  for (let i = 0; i < 45; i++) {
    const title = i < titles.length ? titles[i] : `Older conversation #${i + 1}`;
    addConversation(admin.id, title, i % 3 === 1 ? 'qwen2.5-coder:7b' : 'llama3.2:3b',
      [[i === 0 ? 'Write a debounce function in TypeScript' : title, i === 0 ? SAMPLE_ANSWER : `Here is an answer about *${title}*.`]],
      i * 95 + 5);
  }
  // A conversation whose answer is still generating (slowly), to test attaching to a running stream.
  const conv = addConversation(admin.id, 'Still generating…', 'llama3.2:3b', [], 1);
  const entry = conversations.get(conv.id);
  const u = newMessage('user', 'Tell me a long story about a lighthouse keeper.', 'complete', null, null);
  const a = newMessage('assistant', 'Once upon a time, on a rocky island far to the north, ', 'streaming', 'llama3.2:3b', u.id);
  entry.messages.push(u, a);
  conv.generating = true;
  conv.updatedAt = now();
  generate(entry, a, 'there lived a keeper named Ida who tended the great lamp every night. '.repeat(40), 400);
  // Failed and stopped examples.
  const failed = addConversation(admin.id, 'A failed and a stopped answer', 'mistral:7b', [], 3);
  const fe = conversations.get(failed.id);
  const u1 = newMessage('user', 'Summarize War and Peace', 'complete', null, null);
  const a1 = newMessage('assistant', 'War and Peace follows several aristocratic families', 'failed', 'mistral:7b', u1.id);
  a1.error = { code: 'ollama_error', message: 'Ollama: model ran out of memory' };
  const u2 = newMessage('user', 'Try again, shorter', 'complete', null, a1.id);
  const a2 = newMessage('assistant', 'In short: Napoleon invades Russia and', 'stopped', 'mistral:7b', u2.id);
  fe.messages.push(u1, a1, u2, a2);
}

// ------------------------------------------------------------------ generation
function broadcast(gen, event, data) {
  const frame = `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
  for (const res of gen.listeners) res.write(frame);
}

function generate(entry, msg, text, delay = DELAY, failAt = -1) {
  const gen = { listeners: new Set(), stopped: false, timer: null };
  generations.set(msg.id, gen);
  const tokens = text.match(/\S+\s*|\s+/g) || [];
  let i = 0;
  const finish = (status, error) => {
    clearInterval(gen.timer);
    msg.status = status;
    msg.updatedAt = now();
    msg.error = error || null;
    msg.stats = status === 'complete' ? fakeStats(msg.content) : null;
    entry.conv.generating = false;
    entry.conv.updatedAt = msg.updatedAt;
    broadcast(gen, 'done', { message: msg });
    for (const res of gen.listeners) res.end();
    generations.delete(msg.id);
  };
  gen.finish = finish;
  gen.timer = setInterval(() => {
    if (i === failAt) return finish('failed', { code: 'ollama_error', message: 'Ollama answered: llama runner process has terminated' });
    if (i >= tokens.length) return finish('complete');
    const chunk = tokens.slice(i, i + 2).join('');
    i += 2;
    msg.content += chunk;
    broadcast(gen, 'delta', { content: chunk });
  }, delay);
}

// ------------------------------------------------------------------ http helpers
function send(res, status, body, headers = {}) {
  const payload = body === undefined ? '' : JSON.stringify(body);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store', ...headers });
  res.end(payload);
}
const fail = (res, status, code, message, fields) =>
  send(res, status, { error: { code, message, ...(fields ? { fields } : {}) } });

function cookies(req) {
  const out = {};
  for (const part of (req.headers.cookie || '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0) out[part.slice(0, i).trim()] = decodeURIComponent(part.slice(i + 1).trim());
  }
  return out;
}

async function readJson(req) {
  const chunks = [];
  for await (const c of req) chunks.push(c);
  const text = Buffer.concat(chunks).toString('utf8');
  if (!text) return {};
  return JSON.parse(text);
}

function currentUser(req) {
  const sid = cookies(req).CORRAL_SESSION;
  const uid = sid && sessions.get(sid);
  let u = uid && users.get(uid);
  if (!u && process.env.MOCK_AUTO_LOGIN) {
    u = [...users.values()].find((x) => x.username === process.env.MOCK_AUTO_LOGIN);
  }
  return u && u.enabled ? u : null;
}

function startSession(res, user) {
  const sid = crypto.randomBytes(16).toString('hex');
  sessions.set(sid, user.id);
  const csrf = crypto.randomBytes(16).toString('hex');
  res.setHeader('Set-Cookie', [
    `CORRAL_SESSION=${sid}; Path=/; HttpOnly; SameSite=Lax`,
    `XSRF-TOKEN=${csrf}; Path=/; SameSite=Lax`,
  ]);
}

function validateCredentials(body) {
  const fields = {};
  if (typeof body.username !== 'string' || !/^[A-Za-z0-9._-]{3,32}$/.test(body.username)) {
    fields.username = 'Use 3-32 characters: letters, digits, . _ -';
  }
  if (typeof body.password !== 'string' || body.password.length < 12 || body.password.length > 128) {
    fields.password = 'Use 12-128 characters';
  }
  return Object.keys(fields).length ? fields : null;
}

// ------------------------------------------------------------------ API
async function api(req, res, url) {
  const p = url.pathname;
  const m = req.method;
  let body = {};
  if (m !== 'GET' && m !== 'HEAD') {
    try {
      body = await readJson(req);
    } catch {
      return fail(res, 400, 'malformed_request', 'The body is not valid JSON.');
    }
  }

  if (p === '/api/auth/csrf' && m === 'GET') {
    let token = cookies(req)['XSRF-TOKEN'];
    if (!token) {
      token = crypto.randomBytes(16).toString('hex');
      res.setHeader('Set-Cookie', `XSRF-TOKEN=${token}; Path=/; SameSite=Lax`);
    }
    return send(res, 200, { headerName: 'X-XSRF-TOKEN', token });
  }
  // CSRF check on state-changing requests.
  if (m !== 'GET') {
    const cookie = cookies(req)['XSRF-TOKEN'];
    if (!cookie || req.headers['x-xsrf-token'] !== cookie) {
      return fail(res, 403, 'csrf_invalid', 'Missing or wrong CSRF token.');
    }
  }

  if (p === '/api/setup') {
    if (m === 'GET') return send(res, 200, { required: users.size === 0 });
    if (users.size > 0) return fail(res, 409, 'setup_done', 'Corral is already set up. Sign in instead.');
    const fields = validateCredentials(body);
    if (fields) return fail(res, 400, 'validation_failed', 'Some fields are invalid.', fields);
    const u = addUser(body.username, body.password, 'admin');
    startSession(res, u);
    return send(res, 201, publicUser(u));
  }
  if (p === '/api/auth/login' && m === 'POST') {
    const u = [...users.values()].find((x) => x.username.toLowerCase() === String(body.username).toLowerCase());
    if (!u || u.password !== body.password || !u.enabled) {
      return fail(res, 401, 'invalid_credentials', 'Wrong username or password.');
    }
    startSession(res, u);
    return send(res, 200, publicUser(u));
  }
  if (p === '/api/auth/logout' && m === 'POST') {
    const sid = cookies(req).CORRAL_SESSION;
    if (sid) sessions.delete(sid);
    res.setHeader('Set-Cookie', 'CORRAL_SESSION=; Path=/; Max-Age=0');
    res.writeHead(204);
    return res.end();
  }

  const user = currentUser(req);
  if (!user) return fail(res, 401, 'unauthenticated', 'Sign in first.');

  if (p === '/api/me' && m === 'GET') return send(res, 200, publicUser(user));

  if (p === '/api/models' && m === 'GET') {
    if (ollamaDown) return fail(res, 502, 'ollama_unreachable', `Ollama is not reachable at ${OLLAMA_URL}.`);
    return send(res, 200, { models, ollamaUrl: OLLAMA_URL });
  }

  if (p === '/api/conversations') {
    if (m === 'GET') {
      const limit = Math.min(100, Math.max(1, Number(url.searchParams.get('limit') || 30)));
      const offset = Number(url.searchParams.get('cursor') || 0);
      const all = [...conversations.values()]
        .filter((e) => e.ownerId === user.id)
        .map((e) => e.conv)
        .sort((a, b) => (a.updatedAt < b.updatedAt ? 1 : -1));
      const items = all.slice(offset, offset + limit).map(summary);
      const next = offset + limit < all.length ? String(offset + limit) : null;
      return setTimeout(() => send(res, 200, { items, nextCursor: next }), 150);
    }
    if (m === 'POST') {
      if (!body.model) return fail(res, 400, 'validation_failed', 'Some fields are invalid.', { model: 'Required' });
      const t = now();
      const conv = {
        id: id(), title: body.title || '', model: body.model, createdAt: t, updatedAt: t, generating: false,
        systemPrompt: body.systemPrompt ?? null, temperature: body.temperature ?? null,
      };
      conversations.set(conv.id, { conv, messages: [], ownerId: user.id });
      return send(res, 201, conv);
    }
  }

  const cm = /^\/api\/conversations\/([^/]+)(\/.*)?$/.exec(p);
  if (cm) {
    const entry = conversations.get(decodeURIComponent(cm[1]));
    if (!entry || entry.ownerId !== user.id) return fail(res, 404, 'not_found', 'No such conversation.');
    const rest = cm[2] || '';
    if (rest === '') {
      if (m === 'GET') return send(res, 200, { conversation: entry.conv, messages: entry.messages });
      if (m === 'PATCH') {
        const fields = {};
        if ('title' in body && String(body.title).length > 200) fields.title = 'At most 200 characters';
        if ('temperature' in body && body.temperature !== null && (body.temperature < 0 || body.temperature > 2)) {
          fields.temperature = 'Must be between 0 and 2';
        }
        if (Object.keys(fields).length) return fail(res, 400, 'validation_failed', 'Some fields are invalid.', fields);
        for (const k of ['title', 'model', 'systemPrompt', 'temperature']) if (k in body) entry.conv[k] = body[k];
        entry.conv.updatedAt = now();
        return send(res, 200, entry.conv);
      }
      if (m === 'DELETE') {
        for (const msg of entry.messages) generations.get(msg.id)?.finish('stopped');
        conversations.delete(entry.conv.id);
        res.writeHead(204);
        return res.end();
      }
      return fail(res, 405, 'method_not_allowed', 'Method not allowed.');
    }
    if (rest === '/messages' && m === 'POST') {
      const content = typeof body.content === 'string' ? body.content : '';
      if (!content.trim()) return fail(res, 400, 'validation_failed', 'Some fields are invalid.', { content: 'Required' });
      if (entry.conv.generating) return fail(res, 409, 'generation_in_progress', 'An answer is still being generated.');
      const last = entry.messages.at(-1);
      const u = newMessage('user', content, 'complete', null, last ? last.id : null);
      const a = newMessage('assistant', '', 'streaming', entry.conv.model, u.id);
      entry.messages.push(u, a);
      if (!entry.conv.title) entry.conv.title = content.slice(0, 60);
      entry.conv.generating = true;
      entry.conv.updatedAt = now();
      res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store', 'X-Accel-Buffering': 'no' });
      res.write(`event: start\ndata: ${JSON.stringify({ userMessage: u, assistantMessage: a })}\n\n`);
      const lower = content.toLowerCase();
      const text = lower.includes('long')
        ? SAMPLE_ANSWER + '\n\n' + Array.from({ length: 30 }, (_, i) => `${i + 1}. Paragraph with some words to stream.`).join('\n')
        : lower.includes('code') || lower.includes('debounce')
          ? SAMPLE_ANSWER
          : `You said: “${content.slice(0, 200)}”.\n\nHere is a *mock* answer with a list:\n\n- one\n- two\n- three\n\nAnd \`inline code\` too.`;
      generate(entry, a, text, lower.includes('slow') ? 300 : DELAY, lower.includes('fail') ? 12 : -1);
      const gen = generations.get(a.id);
      gen.listeners.add(res);
      req.on('close', () => gen.listeners.delete(res));
      return;
    }
    const mm = /^\/messages\/([^/]+)\/(events|stop)$/.exec(rest);
    if (mm) {
      const msg = entry.messages.find((x) => x.id === decodeURIComponent(mm[1]));
      if (!msg || msg.role !== 'assistant') return fail(res, 404, 'not_found', 'No such message.');
      if (mm[2] === 'events' && m === 'GET') {
        res.writeHead(200, { 'Content-Type': 'text/event-stream', 'Cache-Control': 'no-store' });
        res.write(`event: snapshot\ndata: ${JSON.stringify({ message: msg })}\n\n`);
        const gen = generations.get(msg.id);
        if (!gen) {
          res.write(`event: done\ndata: ${JSON.stringify({ message: msg })}\n\n`);
          return res.end();
        }
        gen.listeners.add(res);
        req.on('close', () => gen.listeners.delete(res));
        return;
      }
      if (mm[2] === 'stop' && m === 'POST') {
        const gen = generations.get(msg.id);
        if (gen) setTimeout(() => gen.finish('stopped'), 200);
        return send(res, 202, msg);
      }
    }
    return fail(res, 404, 'not_found', 'No such route.');
  }

  if (p.startsWith('/api/admin/')) {
    if (user.role !== 'admin') return fail(res, 403, 'forbidden', 'Administrators only.');
    if (p === '/api/admin/users' && m === 'GET') {
      return send(res, 200, { items: [...users.values()].map(publicUser) });
    }
    if (p === '/api/admin/users' && m === 'POST') {
      const fields = validateCredentials(body) || {};
      if (body.role !== undefined && body.role !== 'user' && body.role !== 'admin') fields.role = 'Must be user or admin';
      if (Object.keys(fields).length) return fail(res, 400, 'validation_failed', 'Some fields are invalid.', fields);
      if ([...users.values()].some((x) => x.username.toLowerCase() === body.username.toLowerCase())) {
        return fail(res, 409, 'username_taken', `The username ${body.username} is taken.`);
      }
      return send(res, 201, publicUser(addUser(body.username, body.password, body.role || 'user')));
    }
    const um = /^\/api\/admin\/users\/([^/]+)$/.exec(p);
    if (um && m === 'PATCH') {
      const u = users.get(decodeURIComponent(um[1]));
      if (!u) return fail(res, 404, 'not_found', 'No such user.');
      if (typeof body.enabled !== 'boolean') return fail(res, 400, 'validation_failed', 'Invalid.', { enabled: 'Required' });
      u.enabled = body.enabled;
      return send(res, 200, publicUser(u));
    }
  }
  return fail(res, 404, 'not_found', 'No such route.');
}

// ------------------------------------------------------------------ static files
const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml', '.png': 'image/png', '.ico': 'image/x-icon', '.json': 'application/json', '.woff2': 'font/woff2',
};
// The policy the real server is expected to apply: the UI must work under it.
const CSP = "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; connect-src 'self'; object-src 'none'; base-uri 'none'; frame-ancestors 'none'";

function serveStatic(req, res, url) {
  let rel = decodeURIComponent(url.pathname);
  let file = path.join(STATIC_DIR, rel);
  if (!file.startsWith(STATIC_DIR)) return fail(res, 404, 'not_found', 'Not found.');
  if (!fs.existsSync(file) || fs.statSync(file).isDirectory()) file = path.join(STATIC_DIR, 'index.html');
  if (!fs.existsSync(file)) {
    res.writeHead(500, { 'Content-Type': 'text/plain' });
    return res.end(`Build the UI first: no ${file}\n`);
  }
  res.writeHead(200, {
    'Content-Type': TYPES[path.extname(file)] || 'application/octet-stream',
    'Content-Security-Policy': CSP,
    'Cache-Control': file.includes(`${path.sep}assets${path.sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
  });
  fs.createReadStream(file).pipe(res);
}

if (process.env.MOCK_SEED === '1') seed();

const server = http.createServer((req, res) => {
  const url = new URL(req.url, `http://${req.headers.host || 'localhost'}`);
  if (url.pathname === '/mock/ollama' && req.method === 'POST') {
    ollamaDown = url.searchParams.get('down') === '1';
    return send(res, 200, { down: ollamaDown });
  }
  if (url.pathname.startsWith('/api/')) {
    api(req, res, url).catch((e) => {
      console.error(e);
      if (!res.headersSent) fail(res, 500, 'internal_error', 'Mock server error.');
    });
    return;
  }
  serveStatic(req, res, url);
});

server.listen(PORT, '127.0.0.1', () => {
  console.log(`Corral mock server on http://127.0.0.1:${PORT} (static: ${STATIC_DIR})`);
});
