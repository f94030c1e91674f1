/**
 * The app's own scheme, hgx://app/…, serving the built UI (dist/renderer) to the window. A
 * custom scheme instead of file:// keeps the page away from the rest of the file system, gives
 * it an origin of its own ('self' in the CSP means only these files), and lets every response
 * carry the Content-Security-Policy header.
 */
import { readFile, realpath } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { APP_ORIGIN, ELECTRON_CSP } from './window.js';
import { UI_MIME_TYPES } from '../common/mime.js';

export const APP_SCHEME = 'hgx';

/** The privileges to register before the app is ready (protocol.registerSchemesAsPrivileged). */
export const APP_SCHEME_PRIVILEGES = { standard: true, secure: true, supportFetchAPI: true, corsEnabled: false, stream: false } as const;

const MIME = UI_MIME_TYPES;

/** The file a hgx://app/… URL names inside `root`, or null for anything outside it or malformed. */
export function resolveAppRequest(url: string, root: string): string | null {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return null;
  }
  if (`${u.protocol}//${u.host}` !== APP_ORIGIN) return null;
  let rel: string;
  try {
    rel = decodeURIComponent(u.pathname === '/' ? '/index.html' : u.pathname);
  } catch {
    return null;
  }
  if (rel.includes('\0') || rel.includes('\\')) return null;
  const base = resolve(root);
  const full = resolve(join(base, rel));
  return full.startsWith(base + sep) ? full : null;
}

export interface AppResponse {
  status: number;
  headers: Record<string, string>;
  body: Buffer | string;
}

/** Answers one request for the UI: the file with its type and the CSP, or 404. */
export async function serveAppRequest(url: string, root: string): Promise<AppResponse> {
  const headers = { 'Content-Security-Policy': ELECTRON_CSP, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' };
  const notFound: AppResponse = { status: 404, headers: { ...headers, 'Content-Type': 'text/plain; charset=utf-8' }, body: 'Not found' };
  const file = resolveAppRequest(url, root);
  if (!file) return notFound;
  try {
    // realpath: a symlink inside dist/renderer must not lead out of it.
    const real = await realpath(file);
    if (!real.startsWith(resolve(await realpath(root)) + sep)) return notFound;
    const body = await readFile(real);
    return { status: 200, headers: { ...headers, 'Content-Type': MIME[extname(real)] ?? 'application/octet-stream' }, body };
  } catch {
    return notFound;
  }
}
