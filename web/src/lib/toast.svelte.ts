// Error/notice area. Errors are shown, never swallowed.
import { isApiError } from './api';

export interface Toast {
  id: number;
  kind: 'error' | 'info';
  message: string;
}

let nextId = 1;

class Toasts {
  items = $state<Toast[]>([]);

  push(kind: Toast['kind'], message: string, timeoutMs = kind === 'error' ? 0 : 4000): void {
    // Collapse identical messages that are already visible.
    if (this.items.some((t) => t.message === message && t.kind === kind)) return;
    const id = nextId++;
    this.items = [...this.items.slice(-3), { id, kind, message }];
    if (timeoutMs > 0) setTimeout(() => this.dismiss(id), timeoutMs);
  }

  dismiss(id: number): void {
    this.items = this.items.filter((t) => t.id !== id);
  }
}

export const toasts = new Toasts();

export function errorMessage(e: unknown): string {
  if (isApiError(e)) return e.message;
  if (e instanceof Error) return e.message;
  return String(e);
}

/** Shows an error unless it is a 401 (handled by redirecting to the sign-in page). */
export function showError(e: unknown, prefix?: string): void {
  if (isApiError(e) && e.status === 401 && e.code === 'unauthenticated') return;
  if (e instanceof DOMException && e.name === 'AbortError') return;
  const msg = errorMessage(e);
  toasts.push('error', prefix ? `${prefix}: ${msg}` : msg);
}
