// Installed Ollama models, and the Ollama reachability error shown as a banner.
import * as api from './api';
import type { Model } from './types';

const LAST_MODEL_KEY = 'corral.lastModel';

class Models {
  list = $state<Model[]>([]);
  ollamaUrl = $state<string | null>(null);
  /** The last load's error (e.g. `ollama_unreachable`), or null. */
  error = $state<api.ApiError | null>(null);
  loading = $state(false);
  loaded = $state(false);
  private pending: Promise<void> | null = null;

  load(): Promise<void> {
    if (!this.pending) {
      this.loading = true;
      this.pending = (async () => {
        try {
          const res = await api.listModels();
          this.list = res.models ?? [];
          this.ollamaUrl = res.ollamaUrl ?? null;
          this.error = null;
        } catch (e) {
          this.error = api.isApiError(e)
            ? e
            : new api.ApiError('network_error', e instanceof Error ? e.message : String(e), 0);
        } finally {
          this.loading = false;
          this.loaded = true;
          this.pending = null;
        }
      })();
    }
    return this.pending;
  }

  get names(): string[] {
    return this.list.map((m) => m.name);
  }
}

export const models = new Models();

export function lastUsedModel(): string | null {
  try {
    return localStorage.getItem(LAST_MODEL_KEY);
  } catch {
    return null;
  }
}

export function rememberModel(name: string): void {
  try {
    localStorage.setItem(LAST_MODEL_KEY, name);
  } catch {
    /* storage unavailable (private mode): not fatal */
  }
}
