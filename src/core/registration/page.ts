/**
 * The registration page: plain HTML, no script, one inline style allowed by its hash under a
 * strict Content-Security-Policy. It shows the fingerprint, the server's policy and the result;
 * under the invite policy, a form for the code that posts back to the page.
 */
import { createHash } from 'node:crypto';
import type { RegistrationPolicy } from './records.js';

const STYLE =
  'body{font:16px/1.5 system-ui,sans-serif;max-width:40em;margin:3em auto;padding:0 1em;color:#222}' +
  'code{word-break:break-all;background:#f3f3f3;padding:.1em .3em}.ok{color:#075e0b}.no{color:#a00}' +
  'input[type=text]{font:inherit;width:100%;margin:.5em 0}button{font:inherit}';

/** The page's CSP: nothing loads, nothing runs; forms post only to this server; no framing. */
export const PAGE_CSP = `default-src 'none'; style-src 'sha256-${createHash('sha256').update(STYLE).digest('base64')}'; form-action 'self'; base-uri 'none'; frame-ancestors 'none'`;

/** What the page tells the person; `result` decides the headline's colour. */
export interface PageContent {
  title: string;
  result: 'ok' | 'waiting' | 'refused' | 'form';
  message: string;
  fingerprint?: string;
  policy?: RegistrationPolicy;
  /** Under the invite policy: the signed link's fields, posted back with the code. */
  form?: { fingerprint: string; challenge: string; signature: string; error?: string };
}

const POLICY_WORDS: Record<RegistrationPolicy, string> = {
  off: 'This server does not keep accounts.',
  open: 'Anyone may register here.',
  invite: 'Registering here takes an invite code from the operator.',
  approval: 'The operator approves each registration.',
};

export function renderPage(c: PageContent): string {
  const parts = [
    '<!doctype html><html lang="en"><head><meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width,initial-scale=1">',
    `<title>${esc(c.title)} — Hypergolix</title><style>${STYLE}</style></head><body>`,
    `<h1 id="result" data-result="${c.result}" class="${c.result === 'ok' ? 'ok' : c.result === 'refused' ? 'no' : ''}">${esc(c.title)}</h1>`,
    `<p id="message">${esc(c.message)}</p>`,
  ];
  if (c.fingerprint) parts.push(`<p>Account fingerprint:<br><code id="fingerprint">${esc(c.fingerprint)}</code></p>`);
  if (c.policy) parts.push(`<p id="policy" data-policy="${c.policy}">${esc(POLICY_WORDS[c.policy])}</p>`);
  if (c.form) {
    const f = c.form;
    parts.push(
      '<form method="post" action="/register">',
      hidden('fingerprint', f.fingerprint),
      hidden('challenge', f.challenge),
      hidden('signature', f.signature),
      '<label for="code">Invite code</label>',
      '<input type="text" id="code" name="code" autocomplete="off" required maxlength="200">',
      f.error ? `<p id="error" class="no">${esc(f.error)}</p>` : '',
      '<button type="submit" id="submit">Register</button></form>',
    );
  }
  parts.push('</body></html>');
  return parts.join('\n');
}

function hidden(name: string, value: string): string {
  return `<input type="hidden" name="${name}" value="${esc(value)}">`;
}

function esc(s: string): string {
  return s.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
