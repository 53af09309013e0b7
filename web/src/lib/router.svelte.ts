// A tiny History-API router: /login, /setup, /signup, /, /c/{id}, /account, /admin.

export type Route =
  | { name: 'login' }
  | { name: 'setup' }
  | { name: 'signup' }
  | { name: 'chat'; conversationId: string | null }
  | { name: 'admin' }
  | { name: 'account' }
  | { name: 'notFound' };

export function parseRoute(pathname: string): Route {
  const path = pathname.replace(/\/+$/, '') || '/';
  if (path === '/') return { name: 'chat', conversationId: null };
  if (path === '/login') return { name: 'login' };
  if (path === '/setup') return { name: 'setup' };
  if (path === '/signup') return { name: 'signup' };
  if (path === '/admin') return { name: 'admin' };
  if (path === '/account') return { name: 'account' };
  const m = /^\/c\/([^/]+)$/.exec(path);
  if (m) {
    try {
      return { name: 'chat', conversationId: decodeURIComponent(m[1]) };
    } catch {
      return { name: 'notFound' };
    }
  }
  return { name: 'notFound' };
}

class Router {
  path = $state(location.pathname);
  route = $derived(parseRoute(this.path));

  constructor() {
    addEventListener('popstate', () => {
      this.path = location.pathname;
    });
  }

  navigate(to: string, opts: { replace?: boolean } = {}): void {
    if (to === location.pathname + location.search) {
      if (opts.replace) history.replaceState(null, '', to);
      return;
    }
    if (opts.replace) history.replaceState(null, '', to);
    else history.pushState(null, '', to);
    this.path = location.pathname;
  }
}

export const router = new Router();

export function navigate(to: string, opts: { replace?: boolean } = {}): void {
  router.navigate(to, opts);
}

export function conversationPath(id: string): string {
  return `/c/${encodeURIComponent(id)}`;
}

/**
 * Document-level click handler: same-origin <a> clicks without modifier keys are
 * handled by the router instead of a full page load.
 */
export function interceptLinks(e: MouseEvent): void {
  if (e.defaultPrevented || e.button !== 0 || e.metaKey || e.ctrlKey || e.shiftKey || e.altKey) return;
  const a = (e.target as Element | null)?.closest?.('a');
  if (!a || !(a instanceof HTMLAnchorElement)) return;
  if (a.target && a.target !== '_self') return;
  if (a.hasAttribute('download') || a.dataset.external !== undefined) return;
  const url = new URL(a.href, location.href);
  if (url.origin !== location.origin || url.pathname.startsWith('/api/')) return;
  if (parseRoute(url.pathname).name === 'notFound') return;
  e.preventDefault();
  navigate(url.pathname + url.search);
}
