// Markdown → sanitized DOM: marked (GFM) → DOMPurify → code blocks highlighted + "Copy" button.
// Nothing from a model or a user reaches the DOM without passing DOMPurify.
import { Marked, type Tokens } from 'marked';
import DOMPurify from 'dompurify';
import hljs from 'highlight.js/lib/core';
import javascript from 'highlight.js/lib/languages/javascript';
import typescript from 'highlight.js/lib/languages/typescript';
import python from 'highlight.js/lib/languages/python';
import java from 'highlight.js/lib/languages/java';
import bash from 'highlight.js/lib/languages/bash';
import json from 'highlight.js/lib/languages/json';
import yaml from 'highlight.js/lib/languages/yaml';
import sql from 'highlight.js/lib/languages/sql';
import go from 'highlight.js/lib/languages/go';
import rust from 'highlight.js/lib/languages/rust';
import c from 'highlight.js/lib/languages/c';
import cpp from 'highlight.js/lib/languages/cpp';
import xml from 'highlight.js/lib/languages/xml';
import css from 'highlight.js/lib/languages/css';
import markdownLang from 'highlight.js/lib/languages/markdown';
import diff from 'highlight.js/lib/languages/diff';

const languages = {
  javascript,
  typescript,
  python,
  java,
  bash,
  json,
  yaml,
  sql,
  go,
  rust,
  c,
  cpp,
  xml,
  css,
  markdown: markdownLang,
  diff,
};
for (const [name, lang] of Object.entries(languages)) hljs.registerLanguage(name, lang);
hljs.registerAliases(['sh', 'shell', 'zsh', 'console'], { languageName: 'bash' });
hljs.registerAliases(['html', 'svg'], { languageName: 'xml' });

function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

// Highlighting is the expensive part while streaming: finished blocks do not change between
// frames, so cache their result.
const highlightCache = new Map<string, string>();
const CACHE_MAX = 300;

function highlight(code: string, lang: string): string {
  const key = `${lang}\u0000${code}`;
  const hit = highlightCache.get(key);
  if (hit !== undefined) return hit;
  let html: string;
  try {
    html =
      lang && hljs.getLanguage(lang)
        ? hljs.highlight(code, { language: lang, ignoreIllegals: true }).value
        : escapeHtml(code);
  } catch {
    html = escapeHtml(code);
  }
  if (highlightCache.size >= CACHE_MAX) {
    const first = highlightCache.keys().next().value;
    if (first !== undefined) highlightCache.delete(first);
  }
  highlightCache.set(key, html);
  return html;
}

const marked = new Marked({
  gfm: true,
  breaks: false,
  async: false,
  renderer: {
    code({ text, lang }: Tokens.Code): string {
      const language = (lang ?? '').trim().split(/\s+/)[0].toLowerCase();
      const known = language && hljs.getLanguage(language) ? language : '';
      const cls = known ? `hljs language-${escapeHtml(known)}` : 'hljs';
      const label = language ? ` data-lang="${escapeHtml(language)}"` : '';
      return `<pre${label}><code class="${cls}">${highlight(text.replace(/\n$/, ''), known)}</code></pre>\n`;
    },
  },
});

const PURIFY_CONFIG = {
  RETURN_DOM_FRAGMENT: true as const,
  USE_PROFILES: { html: true }, // no SVG or MathML
  FORBID_TAGS: [
    'style', 'form', 'button', 'textarea', 'select', 'option', 'iframe', 'object', 'embed', 'dialog',
    'video', 'audio', 'source', 'track', 'picture',
  ],
  FORBID_ATTR: ['style', 'id', 'name', 'autofocus', 'tabindex', 'srcset'],
};

// Images must not load: neuter `src` while the node is still in DOMPurify's inert document
// (an <img> imported into the live document starts fetching at once, even while detached).
DOMPurify.addHook('afterSanitizeAttributes', (node) => {
  if (node.nodeName === 'IMG') {
    const src = node.getAttribute('src');
    node.removeAttribute('src');
    if (src) node.setAttribute('data-src', src);
  }
});

/** Renders Markdown into a safe DocumentFragment, with copy buttons on code blocks. */
export function renderMarkdown(src: string): DocumentFragment {
  const html = marked.parse(src) as string;
  const frag = DOMPurify.sanitize(html, PURIFY_CONFIG);
  postProcess(frag);
  return frag;
}

function postProcess(frag: DocumentFragment): void {
  // Links open in a new tab, without referrer or opener.
  for (const a of frag.querySelectorAll('a[href]')) {
    a.setAttribute('target', '_blank');
    a.setAttribute('rel', 'noopener noreferrer nofollow');
  }
  // Only GFM task-list checkboxes may stay, and read-only.
  for (const input of frag.querySelectorAll('input')) {
    if (input.type !== 'checkbox') input.remove();
    else input.disabled = true;
  }
  // Images are never loaded automatically: a remote one would tell a third party that (and what)
  // someone reads, a known exfiltration trick, and a local one would send a cookie-bearing request
  // the model chose. They become links instead.
  for (const img of frag.querySelectorAll('img')) {
    const src = img.getAttribute('data-src') ?? '';
    let url: URL | null = null;
    try {
      url = new URL(src, location.href);
    } catch {
      url = null;
    }
    const a = document.createElement('a');
    if (url && (url.protocol === 'https:' || url.protocol === 'http:')) {
      a.href = url.href;
      a.target = '_blank';
      a.rel = 'noopener noreferrer nofollow';
    }
    a.textContent = `[image: ${img.getAttribute('alt') || url?.href || 'unavailable'}]`;
    img.replaceWith(a);
  }
  // Tables scroll horizontally on narrow screens.
  for (const table of frag.querySelectorAll('table')) {
    const wrap = document.createElement('div');
    wrap.className = 'table-wrap';
    table.replaceWith(wrap);
    wrap.append(table);
  }
  for (const pre of frag.querySelectorAll('pre')) {
    const code = pre.querySelector('code');
    if (!code) continue;
    const block = document.createElement('div');
    block.className = 'codeblock';
    const bar = document.createElement('div');
    bar.className = 'codeblock-bar';
    const lang = document.createElement('span');
    lang.className = 'codeblock-lang';
    lang.textContent = pre.dataset.lang ?? '';
    const button = document.createElement('button');
    button.type = 'button';
    button.className = 'copy-button';
    button.setAttribute('aria-label', 'Copy code');
    button.textContent = 'Copy';
    button.addEventListener('click', () => copyCode(button, code.textContent ?? ''));
    bar.append(lang, button);
    pre.replaceWith(block);
    block.append(bar, pre);
  }
}

async function copyCode(button: HTMLButtonElement, text: string): Promise<void> {
  try {
    await navigator.clipboard.writeText(text);
    button.textContent = 'Copied';
  } catch {
    button.textContent = 'Copy failed';
  }
  setTimeout(() => {
    if (button.isConnected) button.textContent = 'Copy';
  }, 2000);
}
