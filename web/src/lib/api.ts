// The one module that talks to the Corral server. Every fetch of the UI goes through here.
import type {
  AdminApiKeyList,
  AdminSettings,
  ApiErrorBody,
  ApiKeyList,
  BackupInfo,
  BackupStatus,
  ChatEvent,
  Conversation,
  ConversationDetail,
  ConversationPage,
  ConversationPatch,
  CreatedApiKey,
  CsrfToken,
  Message,
  ModelList,
  NewApiKey,
  NewConversation,
  NewUser,
  SessionList,
  SetupStatus,
  User,
  UserList,
  UserPatch,
} from './types';

/** An error answered by the server (or a network failure, status 0). */
export class ApiError extends Error {
  readonly code: string;
  readonly status: number;
  readonly fields: Record<string, string>;

  constructor(code: string, message: string, status: number, fields: Record<string, string> = {}) {
    super(message);
    this.name = 'ApiError';
    this.code = code;
    this.status = status;
    this.fields = fields;
  }
}

export function isApiError(e: unknown): e is ApiError {
  return e instanceof ApiError;
}

/** True for the error a fetch/stream throws after its AbortController was aborted. */
export function isAbortError(e: unknown): boolean {
  return e instanceof DOMException && e.name === 'AbortError';
}

const CSRF_COOKIE = 'XSRF-TOKEN';
const CSRF_HEADER = 'X-XSRF-TOKEN';

let unauthenticatedHandler: (() => void) | null = null;

/** Called whenever a request (other than the session probe) answers 401 `unauthenticated`. */
export function onUnauthenticated(handler: (() => void) | null): void {
  unauthenticatedHandler = handler;
}

function readCookie(name: string): string | null {
  for (const part of document.cookie.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      return decodeURIComponent(part.slice(eq + 1).trim());
    }
  }
  return null;
}

let csrfFetch: Promise<string> | null = null;

async function fetchCsrfToken(): Promise<string> {
  if (!csrfFetch) {
    csrfFetch = (async () => {
      const body = await request<CsrfToken>('GET', '/api/auth/csrf');
      // Prefer the cookie (what Spring compares against); fall back to the body's token.
      return readCookie(CSRF_COOKIE) ?? body.token;
    })().finally(() => {
      csrfFetch = null;
    });
  }
  return csrfFetch;
}

async function csrfToken(forceRefresh: boolean): Promise<string> {
  if (!forceRefresh) {
    const cookie = readCookie(CSRF_COOKIE);
    if (cookie) return cookie;
  }
  return fetchCsrfToken();
}

interface RequestOptions {
  body?: unknown;
  signal?: AbortSignal;
  accept?: string;
  /** Do not call the unauthenticated handler on 401 (used by the session probe). */
  quiet401?: boolean;
}

function isStateChanging(method: string): boolean {
  return method !== 'GET' && method !== 'HEAD';
}

/** Sends a request and returns the raw Response if it is OK; throws ApiError otherwise. */
async function send(method: string, path: string, opts: RequestOptions = {}, retried = false): Promise<Response> {
  const headers: Record<string, string> = { Accept: opts.accept ?? 'application/json' };
  if (opts.body !== undefined) headers['Content-Type'] = 'application/json';
  if (isStateChanging(method)) headers[CSRF_HEADER] = await csrfToken(retried);

  let res: Response;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: opts.body === undefined ? undefined : JSON.stringify(opts.body),
      credentials: 'same-origin',
      signal: opts.signal,
      cache: 'no-store',
    });
  } catch (e) {
    if (isAbortError(e)) throw e;
    throw new ApiError('network_error', 'The server could not be reached. Check your connection.', 0);
  }
  if (res.ok) return res;

  const err = await toApiError(res);
  // A stale or rotated CSRF token (e.g. right after sign-in): fetch a fresh one and try once more.
  if (err.code === 'csrf_invalid' && isStateChanging(method) && !retried) {
    return send(method, path, opts, true);
  }
  if (err.status === 401 && err.code !== 'invalid_credentials' && !opts.quiet401) {
    unauthenticatedHandler?.();
  }
  throw err;
}

async function toApiError(res: Response): Promise<ApiError> {
  let text = '';
  try {
    text = await res.text();
  } catch {
    /* body unreadable: fall through */
  }
  try {
    const parsed = JSON.parse(text) as Partial<ApiErrorBody>;
    if (parsed && parsed.error && typeof parsed.error.code === 'string') {
      return new ApiError(
        parsed.error.code,
        parsed.error.message || parsed.error.code,
        res.status,
        parsed.error.fields ?? {},
      );
    }
  } catch {
    /* not JSON */
  }
  const code = res.status === 401 ? 'unauthenticated' : `http_${res.status}`;
  return new ApiError(code, `The server answered ${res.status} ${res.statusText}`.trim(), res.status);
}

async function request<T>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
  const res = await send(method, path, opts);
  if (res.status === 204) return undefined as T;
  const text = await res.text();
  if (!text) return undefined as T;
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new ApiError('malformed_response', 'The server sent an unreadable answer.', res.status);
  }
}

const enc = encodeURIComponent;

// ---------------------------------------------------------------- setup and sign-in

export function getSetupStatus(): Promise<SetupStatus> {
  return request('GET', '/api/setup');
}

export function setup(username: string, password: string): Promise<User> {
  return request('POST', '/api/setup', { body: { username, password } });
}

export function getCsrf(): Promise<CsrfToken> {
  return request('GET', '/api/auth/csrf');
}

export function login(username: string, password: string): Promise<User> {
  return request('POST', '/api/auth/login', { body: { username, password } });
}

export function logout(): Promise<void> {
  return request('POST', '/api/auth/logout');
}

/** The signed-in user, or ApiError 401 (without triggering the unauthenticated handler). */
export function getMe(): Promise<User> {
  return request('GET', '/api/me', { quiet401: true });
}

// ---------------------------------------------------------------- models

export function listModels(): Promise<ModelList> {
  return request('GET', '/api/models');
}

// ---------------------------------------------------------------- conversations

export function listConversations(cursor: string | null = null, limit = 30): Promise<ConversationPage> {
  const q = new URLSearchParams({ limit: String(limit) });
  if (cursor) q.set('cursor', cursor);
  return request('GET', `/api/conversations?${q}`);
}

export function createConversation(body: NewConversation): Promise<Conversation> {
  return request('POST', '/api/conversations', { body });
}

export function getConversation(id: string, signal?: AbortSignal): Promise<ConversationDetail> {
  return request('GET', `/api/conversations/${enc(id)}`, { signal });
}

export function updateConversation(id: string, patch: ConversationPatch): Promise<Conversation> {
  return request('PATCH', `/api/conversations/${enc(id)}`, { body: patch });
}

export function deleteConversation(id: string): Promise<void> {
  return request('DELETE', `/api/conversations/${enc(id)}`);
}

// ---------------------------------------------------------------- chat (streaming)

/**
 * Sends a user message and yields the events of the answer: `start`, `delta`…, `done`.
 * Aborting `signal` only stops listening (the iterator ends quietly); the server keeps
 * generating until {@link stopMessage} is called.
 */
export async function* sendMessage(
  conversationId: string,
  content: string,
  signal?: AbortSignal,
): AsyncGenerator<ChatEvent, void, undefined> {
  yield* streamEvents('POST', `/api/conversations/${enc(conversationId)}/messages`, { content }, signal);
}

/**
 * Attaches to an assistant message's events: `snapshot` (all generated so far), `delta`…, `done`.
 * Aborting `signal` only stops listening.
 */
export async function* messageEvents(
  conversationId: string,
  messageId: string,
  signal?: AbortSignal,
): AsyncGenerator<ChatEvent, void, undefined> {
  yield* streamEvents(
    'GET',
    `/api/conversations/${enc(conversationId)}/messages/${enc(messageId)}/events`,
    undefined,
    signal,
  );
}

/**
 * Answers the same user message again as a new branch (e.g. after a failure): the same events as
 * `sendMessage`, with `start` naming the existing user message and the new answer.
 */
export async function* regenerateMessage(
  conversationId: string,
  messageId: string,
  signal?: AbortSignal,
): AsyncGenerator<ChatEvent, void, undefined> {
  yield* streamEvents(
    'POST',
    `/api/conversations/${enc(conversationId)}/messages/${enc(messageId)}/regenerate`,
    undefined,
    signal,
  );
}

export function stopMessage(conversationId: string, messageId: string): Promise<Message> {
  return request('POST', `/api/conversations/${enc(conversationId)}/messages/${enc(messageId)}/stop`);
}

async function* streamEvents(
  method: string,
  path: string,
  body: unknown,
  signal?: AbortSignal,
): AsyncGenerator<ChatEvent, void, undefined> {
  let res: Response;
  try {
    res = await send(method, path, { body, signal, accept: 'text/event-stream' });
  } catch (e) {
    if (isAbortError(e) && signal?.aborted) return;
    throw e;
  }
  const type = res.headers.get('Content-Type') ?? '';
  if (!type.includes('text/event-stream')) {
    throw new ApiError('malformed_response', 'The server did not answer with an event stream.', res.status);
  }
  if (!res.body) throw new ApiError('malformed_response', 'The server sent an empty stream.', res.status);

  const reader = res.body.getReader();
  const decoder = new TextDecoder('utf-8');
  const parser = new SseParser();
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        if (signal?.aborted) return;
        throw new ApiError('stream_broken', 'The connection to the server was lost.', 0);
      }
      const text = chunk.done ? decoder.decode() : decoder.decode(chunk.value, { stream: true });
      for (const raw of parser.push(text, chunk.done)) {
        const ev = toChatEvent(raw);
        if (ev) yield ev;
      }
      if (chunk.done) return;
    }
  } finally {
    // Runs on normal end, on error, and when the consumer breaks out of the loop.
    reader.cancel().catch(() => {});
  }
}

interface RawSse {
  event: string;
  data: string;
}

/** Incremental parser for text/event-stream (handles \n, \r\n and \r line ends, multi-line data). */
class SseParser {
  private buffer = '';
  private event = '';
  private data: string[] = [];

  push(text: string, final: boolean): RawSse[] {
    this.buffer += text;
    const out: RawSse[] = [];
    for (;;) {
      const m = /\r\n|\r|\n/.exec(this.buffer);
      if (!m) break;
      // A lone \r at the end of the buffer could be the first half of \r\n: wait for more.
      if (m[0] === '\r' && m.index === this.buffer.length - 1 && !final) break;
      const line = this.buffer.slice(0, m.index);
      this.buffer = this.buffer.slice(m.index + m[0].length);
      this.line(line, out);
    }
    if (final) {
      if (this.buffer) this.line(this.buffer, out);
      this.buffer = '';
      this.line('', out);
    }
    return out;
  }

  private line(line: string, out: RawSse[]): void {
    if (line === '') {
      if (this.data.length) out.push({ event: this.event || 'message', data: this.data.join('\n') });
      this.event = '';
      this.data = [];
      return;
    }
    if (line.startsWith(':')) return; // comment / keep-alive
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.event = value;
    else if (field === 'data') this.data.push(value);
    // id and retry are not used.
  }
}

function toChatEvent(raw: RawSse): ChatEvent | null {
  let data: Record<string, unknown>;
  try {
    data = JSON.parse(raw.data) as Record<string, unknown>;
  } catch {
    throw new ApiError('malformed_response', `Unreadable "${raw.event}" event from the server.`, 200);
  }
  switch (raw.event) {
    case 'start':
      return {
        type: 'start',
        userMessage: data.userMessage as Message,
        assistantMessage: data.assistantMessage as Message,
      };
    case 'snapshot':
      return { type: 'snapshot', message: data.message as Message };
    case 'delta':
      return { type: 'delta', content: typeof data.content === 'string' ? data.content : '' };
    case 'done':
      return { type: 'done', message: data.message as Message };
    case 'error': {
      // Not in the contract, but be tolerant of a server that reports a late error this way.
      const e = (data.error ?? data) as { code?: string; message?: string };
      throw new ApiError(e.code ?? 'internal_error', e.message ?? 'The generation failed.', 200);
    }
    default:
      return null; // unknown events are ignored
  }
}

// ---------------------------------------------------------------- admin

export function listUsers(): Promise<UserList> {
  return request('GET', '/api/admin/users');
}

export function createUser(body: NewUser): Promise<User> {
  return request('POST', '/api/admin/users', { body });
}

export function setUserEnabled(id: string, enabled: boolean): Promise<User> {
  return request('PATCH', `/api/admin/users/${enc(id)}`, { body: { enabled } });
}

// ---------------------------------------------------------------- metrics (admin)

export function getMetricsSummary(signal?: AbortSignal): Promise<import('./types').MetricsSummary> {
  return request('GET', '/metrics/summary', { signal });
}

// ---------------------------------------------------------------- UI configuration

export function getUiConfig(): Promise<import('./types').UiConfig> {
  return request('GET', '/api/config');
}

// ---------------------------------------------------------------- rate limits (admin)

/** Multiplies a user's chat and API rate limits by `multiplier` (1-100; 1 resets to the configured limits). */
export function setUserRateLimitMultiplier(
  id: string,
  multiplier: number,
): Promise<User & import('./types').UserRateLimit> {
  return request('PATCH', `/api/admin/users/${enc(id)}`, { body: { rateLimitMultiplier: multiplier } });
}

// ---------------------------------------------------------------- backups (admin)

export function getBackupStatus(): Promise<BackupStatus> {
  return request('GET', '/backup/status');
}

/** Makes a backup now; ApiError 409 `backup_in_progress` while another one runs. */
export function createBackup(): Promise<BackupInfo> {
  return request('POST', '/api/admin/backups');
}

// ---------------------------------------------------------------- audit log (admin)

function auditQuery(filters: import('./types').AuditFilters): URLSearchParams {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(filters)) {
    if (value) params.set(name, value);
  }
  return params;
}

export function listAudit(
  filters: import('./types').AuditFilters,
  cursor: string | null = null,
  limit = 50,
): Promise<import('./types').AuditPage> {
  const params = auditQuery(filters);
  params.set('limit', String(limit));
  if (cursor) params.set('cursor', cursor);
  return request('GET', `/api/admin/audit?${params}`);
}

/** The CSV export's address (a plain link: the browser downloads it with the session cookie). */
export function auditExportUrl(filters: import('./types').AuditFilters): string {
  const params = auditQuery(filters).toString();
  return `/api/admin/audit/export${params ? `?${params}` : ''}`;
}

// ---------------------------------------------------------------- accounts

/** Creates an account awaiting an admin's approval; ApiError 403 `sign_up_closed` while sign-up is closed. */
export function signUp(username: string, password: string): Promise<User> {
  return request('POST', '/api/auth/signup', { body: { username, password } });
}

/** Changes the signed-in user's password; ApiError 400 `wrong_password` for a wrong current one. */
export function changeOwnPassword(currentPassword: string, newPassword: string): Promise<void> {
  return request('POST', '/api/me/password', { body: { currentPassword, newPassword } });
}

export function updateUser(id: string, patch: UserPatch): Promise<User> {
  return request('PATCH', `/api/admin/users/${enc(id)}`, { body: patch });
}

export function approveUser(id: string): Promise<User> {
  return request('POST', `/api/admin/users/${enc(id)}/approve`);
}

/** Deletes the account with all its data; ApiError 409 `last_admin` for the last active admin. */
export function deleteUser(id: string): Promise<void> {
  return request('DELETE', `/api/admin/users/${enc(id)}`);
}

export function resetUserPassword(id: string, password: string): Promise<void> {
  return request('POST', `/api/admin/users/${enc(id)}/password`, { body: { password } });
}

export function getAdminSettings(): Promise<AdminSettings> {
  return request('GET', '/api/admin/settings');
}

export function updateAdminSettings(patch: Partial<AdminSettings>): Promise<AdminSettings> {
  return request('PATCH', '/api/admin/settings', { body: patch });
}

// ---------------------------------------------------------------- API keys

export function listApiKeys(): Promise<ApiKeyList> {
  return request('GET', '/api/keys');
}

/** Creates a key; the answer is the only time its secret is shown. */
export function createApiKey(body: NewApiKey): Promise<CreatedApiKey> {
  return request('POST', '/api/keys', { body });
}

/** Revokes one of the user's keys at once. */
export function revokeApiKey(id: string): Promise<void> {
  return request('DELETE', `/api/keys/${enc(id)}`);
}

/** A new key with the same name; the old one keeps working for the server's grace period. */
export function rotateApiKey(id: string): Promise<CreatedApiKey> {
  return request('POST', `/api/keys/${enc(id)}/rotate`);
}

/** Every user's keys (admin), or one user's. */
export function listAllApiKeys(userId?: string): Promise<AdminApiKeyList> {
  const q = userId ? `?${new URLSearchParams({ userId })}` : '';
  return request('GET', `/api/admin/keys${q}`);
}

/** Revokes any user's key (admin). */
export function adminRevokeApiKey(id: string): Promise<void> {
  return request('DELETE', `/api/admin/keys/${enc(id)}`);
}

// ---------------------------------------------------------------- sessions (own)

export function listSessions(): Promise<SessionList> {
  return request('GET', '/api/sessions');
}

/** Ends one of the caller's sessions (the browser using it is signed out at its next request). */
export function endSession(id: string): Promise<void> {
  return request('DELETE', `/api/sessions/${enc(id)}`);
}

/** Ends every session of the caller, this one included. */
export function signOutEverywhere(): Promise<void> {
  return request('POST', '/api/sessions/sign-out-everywhere');
}
