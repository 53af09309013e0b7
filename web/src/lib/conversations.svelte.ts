// Sidebar state: the signed-in user's conversations, newest first, loaded page by page.
import * as api from './api';
import { showError } from './toast.svelte';
import type { ConversationSummary } from './types';

const PAGE = 30;

function byActivity(a: ConversationSummary, b: ConversationSummary): number {
  return a.updatedAt < b.updatedAt ? 1 : a.updatedAt > b.updatedAt ? -1 : 0;
}

class Conversations {
  items = $state<ConversationSummary[]>([]);
  nextCursor = $state<string | null>(null);
  loading = $state(false);
  loaded = $state(false);
  private generation = 0;

  get hasMore(): boolean {
    return this.nextCursor !== null;
  }

  /** Reloads the first page, keeping already loaded older items that are not on it. */
  async refresh(): Promise<void> {
    const gen = ++this.generation;
    // Only the first load shows "Loading…"; later refreshes happen quietly.
    this.loading = !this.loaded;
    try {
      const page = await api.listConversations(null, PAGE);
      if (gen !== this.generation) return;
      const fresh = new Set(page.items.map((c) => c.id));
      if (!this.loaded) {
        this.items = page.items;
        this.nextCursor = page.nextCursor;
      } else {
        // Older pages already loaded stay; the first page is replaced.
        const oldestFresh = page.items.at(-1)?.updatedAt;
        const keep =
          page.nextCursor === null || oldestFresh === undefined
            ? []
            : this.items.filter((c) => !fresh.has(c.id) && c.updatedAt <= oldestFresh);
        this.items = [...page.items, ...keep].sort(byActivity);
        if (keep.length === 0) this.nextCursor = page.nextCursor;
      }
      this.loaded = true;
    } catch (e) {
      if (gen === this.generation) showError(e, 'Could not load conversations');
    } finally {
      if (gen === this.generation) this.loading = false;
    }
  }

  async loadMore(): Promise<void> {
    if (this.loading || !this.nextCursor) return;
    const gen = this.generation;
    this.loading = true;
    try {
      const page = await api.listConversations(this.nextCursor, PAGE);
      if (gen !== this.generation) return;
      const seen = new Set(this.items.map((c) => c.id));
      this.items = [...this.items, ...page.items.filter((c) => !seen.has(c.id))];
      this.nextCursor = page.nextCursor;
    } catch (e) {
      showError(e, 'Could not load more conversations');
      this.nextCursor = null; // stop the observer from retrying in a loop; a refresh restores it
    } finally {
      if (gen === this.generation) this.loading = false;
    }
  }

  /** Inserts or updates one entry (moving it to its place by last activity). */
  upsert(c: ConversationSummary): void {
    const summary: ConversationSummary = {
      id: c.id,
      title: c.title,
      model: c.model,
      createdAt: c.createdAt,
      updatedAt: c.updatedAt,
      generating: c.generating,
    };
    const rest = this.items.filter((x) => x.id !== c.id);
    this.items = [summary, ...rest].sort(byActivity);
  }

  patch(id: string, changes: Partial<ConversationSummary>): void {
    this.items = this.items.map((c) => (c.id === id ? { ...c, ...changes } : c));
  }

  remove(id: string): void {
    this.items = this.items.filter((c) => c.id !== id);
  }

  reset(): void {
    this.generation++;
    this.items = [];
    this.nextCursor = null;
    this.loaded = false;
    this.loading = false;
  }
}

export const conversations = new Conversations();
