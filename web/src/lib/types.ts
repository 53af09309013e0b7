// Types mirroring docs/API.md. Keep in sync with the contract.

export type Role = 'admin' | 'user';

export interface User {
  id: string;
  username: string;
  role: Role;
  enabled: boolean;
  createdAt: string;
  /** pending: a sign-up awaiting an admin's approval (enabled is false then). */
  status: UserStatus;
}

export interface SetupStatus {
  required: boolean;
  /** Whether the sign-in page offers "Create an account". */
  signUpOpen: boolean;
}

export interface CsrfToken {
  headerName: string;
  token: string;
}

export interface Model {
  name: string;
  size: number;
  family: string | null;
  parameterSize: string | null;
  quantization: string | null;
  modifiedAt: string | null;
}

export interface ModelList {
  models: Model[];
  ollamaUrl: string;
}

export interface ConversationSummary {
  id: string;
  title: string;
  model: string;
  createdAt: string;
  updatedAt: string;
  generating: boolean;
}

export interface Conversation extends ConversationSummary {
  systemPrompt: string | null;
  temperature: number | null;
}

export interface ConversationPage {
  items: ConversationSummary[];
  nextCursor: string | null;
}

export interface NewConversation {
  model: string;
  title?: string;
  systemPrompt?: string;
  temperature?: number;
}

export interface ConversationPatch {
  title?: string;
  model?: string;
  systemPrompt?: string | null;
  temperature?: number | null;
}

export type MessageRole = 'user' | 'assistant';
export type MessageStatus = 'complete' | 'streaming' | 'stopped' | 'failed' | 'interrupted';

export interface ErrorInfo {
  code: string;
  message: string;
}

export interface MessageStats {
  doneReason: string | null;
  promptEvalCount: number | null;
  evalCount: number | null;
  totalDurationNs: number | null;
  loadDurationNs: number | null;
  promptEvalDurationNs: number | null;
  evalDurationNs: number | null;
}

export interface Message {
  id: string;
  parentId: string | null;
  role: MessageRole;
  content: string;
  status: MessageStatus;
  model: string | null;
  createdAt: string;
  updatedAt: string;
  error: ErrorInfo | null;
  stats: MessageStats | null;
}

export interface ConversationDetail {
  conversation: Conversation;
  messages: Message[];
}

export interface UserList {
  items: User[];
}

export interface NewUser {
  username: string;
  password: string;
  role?: Role;
}

/** Events of the text/event-stream answers of POST …/messages and GET …/events. */
export type ChatEvent =
  | { type: 'start'; userMessage: Message; assistantMessage: Message }
  | { type: 'snapshot'; message: Message }
  | { type: 'delta'; content: string }
  | { type: 'done'; message: Message };

export interface ApiErrorBody {
  error: {
    code: string;
    message: string;
    fields?: Record<string, string>;
  };
}

/** Settings chosen for a new chat before it exists (sent with POST /api/conversations). */
export interface DraftSettings {
  systemPrompt: string;
  temperature: number | null;
}

/** Traffic of one route (or all routes) over one window, from GET /metrics/summary. */
export interface MetricsWindow {
  requests: number;
  requestsPerSecond: number;
  /** Latency percentiles in milliseconds; null when nothing was timed (event streams are not). */
  p50Ms: number | null;
  p95Ms: number | null;
  p99Ms: number | null;
  serverErrors: number;
  clientErrors: number;
  /** Share (0-1) of requests answered 5xx / 4xx. */
  serverErrorRate: number;
  clientErrorRate: number;
}

export interface MetricsRoute {
  method: string;
  uri: string;
  lastFiveMinutes: MetricsWindow;
  sinceStart: MetricsWindow;
}

export interface MetricsMinute {
  start: string;
  requests: number;
  p95Ms: number | null;
}

export interface MetricsSummary {
  generatedAt: string;
  startedAt: string;
  uptimeSeconds: number;
  lastFiveMinutesFrom: string;
  overall: { lastFiveMinutes: MetricsWindow; sinceStart: MetricsWindow };
  routes: MetricsRoute[];
  /** 60 minutes, oldest first; the last one is the current (partial) minute. */
  lastHour: MetricsMinute[];
}

/** GET /api/config: limits the UI enforces before the server would (the composer's character counter). */
export interface UiConfig {
  maxMessageChars: number;
}

/** An admin's raise of one user's rate limits (null: the configured limits). Part of every User. */
export interface UserRateLimit {
  rateLimitMultiplier: number | null;
}

/** A backup file (GET /backup/status, POST /api/admin/backups). */
export interface BackupInfo {
  name: string;
  sizeBytes: number;
  createdAt: string;
  ageSeconds: number;
  reason: 'scheduled' | 'manual' | 'pre-migration';
}

/** GET /backup/status: SQLite backups, or a notice that PostgreSQL is backed up with pg_dump. */
export type BackupStatus =
  | {
      supported: true;
      directory: string;
      schedule: { enabled: boolean; cron: string; nextRun: string | null };
      retention: { days: number; count: number };
      lastResult: {
        result: 'ok' | 'failed';
        message: string;
        at: string;
        reason: BackupInfo['reason'];
        name: string | null;
      } | null;
      backups: BackupInfo[];
    }
  | { supported: false; message: string };

// ---------------------------------------------------------------- audit log (admin)

export type AuditOutcome = 'success' | 'failure';

export interface AuditEntry {
  id: string;
  at: string;
  action: string;
  outcome: AuditOutcome;
  actorId: string | null;
  actorName: string | null;
  ip: string | null;
  targetType: string | null;
  targetId: string | null;
  targetName: string | null;
  detail: string | null;
}

export interface AuditPage {
  items: AuditEntry[];
  nextCursor: string | null;
}

/** Filters of the audit log; empty strings mean any. Dates are yyyy-mm-dd (UTC days). */
export interface AuditFilters {
  action: string;
  outcome: '' | AuditOutcome;
  actor: string;
  from: string;
  to: string;
}

export type UserStatus = 'pending' | 'enabled' | 'disabled';

/** PATCH /api/admin/users/{id}: any of these. */
export interface UserPatch {
  enabled?: boolean;
  role?: Role;
  rateLimitMultiplier?: number;
}

/** GET/PATCH /api/admin/settings: settings an admin changes at run time. */
export interface AdminSettings {
  signUpOpen: boolean;
}

/** What an API key can do now: active and expiring (rotated, in its grace period) keys work. */
export type ApiKeyStatus = 'active' | 'expiring' | 'expired' | 'revoked';

/** One of the signed-in user's API keys (GET /api/keys). The secret is never listed. */
export interface ApiKey {
  id: string;
  name: string;
  /** `crl_` and the key's public id: the start of the key, to recognise it. */
  prefix: string;
  createdAt: string;
  lastUsedAt: string | null;
  expiresAt: string | null;
  revokedAt: string | null;
  rotatedAt: string | null;
  status: ApiKeyStatus;
}

export interface ApiKeyList {
  items: ApiKey[];
}

/** POST /api/keys and POST /api/keys/{id}/rotate: the only answer that carries the secret. */
export interface CreatedApiKey {
  key: ApiKey;
  secret: string;
}

export interface NewApiKey {
  name: string;
  /** ISO instant; absent or null: the key never expires. */
  expiresAt?: string | null;
}

/** A key as an admin sees it (GET /api/admin/keys): with its owner. */
export interface AdminApiKey extends ApiKey {
  userId: string;
  username: string | null;
}

export interface AdminApiKeyList {
  items: AdminApiKey[];
}

/** One of the caller's sign-in sessions (GET /api/sessions). `id` is opaque, never the session cookie. */
export interface ActiveSession {
  id: string;
  createdAt: string;
  lastActiveAt: string;
  /** When it ends unless used again (idle timeout), or at its maximum lifetime, whichever is first. */
  expiresAt: string;
  ip: string | null;
  /** A short description of the browser, e.g. "Firefox on Linux". */
  browser: string;
  /** True for the session of the request that listed them ("this device"). */
  current: boolean;
}

export interface SessionList {
  items: ActiveSession[];
}
