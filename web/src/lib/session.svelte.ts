import type { User } from './types';

class Session {
  user = $state<User | null>(null);
  /** False until the first /api/me probe has answered. */
  ready = $state(false);
}

export const session = new Session();
