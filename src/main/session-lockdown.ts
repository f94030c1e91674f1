/**
 * The default session, locked down before any window exists: no request leaves the machine,
 * every webContents refuses navigation, new windows and webviews, only the clipboard may be
 * asked for, and the UI is served from the app's own hgx:// scheme.
 */
import { app, protocol, session } from 'electron';
import { APP_SCHEME, serveAppRequest } from './app-protocol.js';
import { allowPermission, hardenContents } from './window.js';

export function lockDownSession(rendererDir: string, warn: (message: string) => void): void {
  const ses = session.defaultSession;
  ses.webRequest.onBeforeRequest({ urls: ['http://*/*', 'https://*/*', 'ws://*/*', 'wss://*/*', 'file://*/*'] }, (details, callback) => {
    warn(`Blocked a request to ${details.url.slice(0, 200)}`);
    callback({ cancel: true });
  });
  ses.setPermissionRequestHandler((_wc, permission, callback, details) => callback(allowPermission(permission, details.requestingUrl)));
  ses.setPermissionCheckHandler((_wc, permission, origin) => allowPermission(permission, origin));
  app.on('web-contents-created', (_e, contents) => hardenContents(contents, warn));
  protocol.handle(APP_SCHEME, async (request) => {
    const r = await serveAppRequest(request.url, rendererDir);
    return new Response(typeof r.body === 'string' ? r.body : new Uint8Array(r.body), { status: r.status, headers: r.headers });
  });
}
