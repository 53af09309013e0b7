// Types mirroring docs/API.md. Keep in sync with the contract.

export type Role = 'admin' | 'user';

export interface User {
  id: string;
  username: string;
  role: Role;
  enabled: boolean;
  createdAt: string;
}

export interface SetupStatus {
  required: boolean;
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
