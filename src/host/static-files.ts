/**
 * The UI's static files (dist/renderer), served the same way by both hosts that show the UI:
 * the Electron window's hgx:// scheme (src/main/app-protocol.ts) and browser mode's loopback
 * server (src/web/bridge-server.ts). One copy, so the path-escape guard cannot drift apart.
 *
 * It lives in src/host because both hosts may import src/host, and it needs node:fs, which
 * src/common (loaded by the renderer too) must not touch.
 */
import { readFile, realpath } from 'node:fs/promises';
import { extname, join, resolve, sep } from 'node:path';
import { UI_MIME_TYPES } from '../common/mime.js';

/**
 * Where a URL path leads inside the root: a file to try, or why not. 400 for a path that names
 * no file at all (malformed percent-encoding, a NUL, a backslash), 404 for one that leads out.
 */
export type StaticPath = { ok: true; file: string } | { ok: false; status: 400 | 404 };

/**
 * Resolves a URL's path (still percent-encoded, as in `URL.pathname`) inside `root`, without
 * touching the disk; `/` means `/index.html`. A backslash is refused rather than interpreted:
 * on Windows it separates directories, so `..\` would be a way out that `..` checks miss.
 */
export function resolveStaticPath(root: string, urlPath: string): StaticPath {
  let rel: string;
  try {
    rel = decodeURIComponent(urlPath === '/' ? '/index.html' : urlPath);
  } catch {
    return { ok: false, status: 400 };
  }
  if (!rel.startsWith('/') || rel.includes('\0') || rel.includes('\\')) return { ok: false, status: 400 };
  const base = resolve(root);
  const file = resolve(join(base, rel));
  return file.startsWith(base + sep) ? { ok: true, file } : { ok: false, status: 404 };
}

/** The headers every answer carries, found or not: the caller's CSP, no type sniffing, no caching. */
export function securityHeaders(csp: string): Record<string, string> {
  return { 'Content-Security-Policy': csp, 'X-Content-Type-Options': 'nosniff', 'Cache-Control': 'no-store' };
}

export function mimeTypeOf(file: string): string {
  return UI_MIME_TYPES[extname(file).toLowerCase()] ?? 'application/octet-stream';
}

export interface StaticResponse {
  status: 200 | 400 | 404;
  headers: Record<string, string>;
  /** The file's bytes, or a short plain-text reason. */
  body: Buffer | string;
}

const REASONS = { 400: 'Bad path', 404: 'Not found' } as const;

/** A 400 or 404 answer, with the same security headers as a file. */
export function refusal(status: 400 | 404, csp: string): StaticResponse {
  return { status, headers: { ...securityHeaders(csp), 'Content-Type': 'text/plain; charset=utf-8' }, body: REASONS[status] };
}

/** Answers one request for a file of the UI: the file with its type and the security headers, or 400/404. */
export async function serveStaticFile(root: string, urlPath: string, options: { csp: string }): Promise<StaticResponse> {
  const refuse = (status: 400 | 404) => refusal(status, options.csp);
  const path = resolveStaticPath(root, urlPath);
  if (!path.ok) return refuse(path.status);
  try {
    // realpath both: a symlink inside the UI directory must not lead out of it.
    const real = await realpath(path.file);
    if (!real.startsWith((await realpath(root)) + sep)) return refuse(404);
    const body = await readFile(real);
    return { status: 200, headers: { ...securityHeaders(options.csp), 'Content-Type': mimeTypeOf(path.file) }, body };
  } catch {
    // Missing, a directory, unreadable: all simply not there for the UI.
    return refuse(404);
  }
}
