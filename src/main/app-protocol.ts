/**
 * The app's own scheme, hgx://app/…, serving the built UI (dist/renderer) to the window. A
 * custom scheme instead of file:// keeps the page away from the rest of the file system, gives
 * it an origin of its own ('self' in the CSP means only these files), and lets every response
 * carry the Content-Security-Policy header. The files are served by src/host/static-files.ts,
 * as browser mode serves them.
 */
import { refusal, resolveStaticPath, serveStaticFile, type StaticResponse } from '../host/static-files.js';
import { APP_ORIGIN, ELECTRON_CSP } from './window.js';

export const APP_SCHEME = 'hgx';

/** The privileges to register before the app is ready (protocol.registerSchemesAsPrivileged). */
export const APP_SCHEME_PRIVILEGES = { standard: true, secure: true, supportFetchAPI: true, corsEnabled: false, stream: false } as const;

/** The path of a hgx://app/… URL; null for another origin or no URL at all. */
function appPath(url: string): string | null {
  try {
    const u = new URL(url);
    return `${u.protocol}//${u.host}` === APP_ORIGIN ? u.pathname : null;
  } catch {
    return null;
  }
}

/** The file a hgx://app/… URL names inside `root`, or null for anything outside it or malformed. */
export function resolveAppRequest(url: string, root: string): string | null {
  const path = appPath(url);
  if (path === null) return null;
  const r = resolveStaticPath(root, path);
  return r.ok ? r.file : null;
}

/** Answers one request for the UI: the file with its type and the CSP, 400 for a malformed path, or 404. */
export async function serveAppRequest(url: string, root: string): Promise<StaticResponse> {
  const path = appPath(url);
  // Another origin cannot reach this handler in Electron; should one, it finds nothing here.
  return path === null ? refusal(404, ELECTRON_CSP) : serveStaticFile(root, path, { csp: ELECTRON_CSP });
}
