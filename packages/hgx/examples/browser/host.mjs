#!/usr/bin/env node
// The host of a browser page that uses the SDK, doing what an Electron main process does for its
// renderer: it reads the daemon's IPC key (a page cannot read files) and hands it to its own page,
// and it reaches the daemon's port for the page. The daemon refuses WebSocket upgrades that carry
// a browser's Origin header, so that no web page can talk to it; this host relays its own page's
// socket (and nobody else's) byte for byte. The page still authenticates itself with the key: the
// host never speaks for it.
//
//   node host.mjs --daemon-port 7772 --token-file <home>/ipc-token [--port 0]
//
// Prints {"type":"listening","url":…} when it serves the page on 127.0.0.1.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { WebSocket, WebSocketServer } from 'ws';

const { values } = parseArgs({ options: { 'daemon-port': { type: 'string', default: '7772' }, 'token-file': { type: 'string' }, port: { type: 'string', default: '0' } } });
if (!values['token-file']) throw new Error('--token-file <home>/ipc-token is required: the host hands the key to its page');
const daemonUrl = `ws://127.0.0.1:${Number(values['daemon-port'])}/`;
const here = dirname(fileURLToPath(import.meta.url));
// The SDK's browser build, from the installed package (the "browser" export a bundler would pick).
const sdk = join(dirname(createRequire(import.meta.url).resolve('@hypergolix/hgx/package.json')), 'dist/browser.js');
const files = {
  '/app.js': join(here, 'app.js'),
  '/notes.js': join(here, '../shared-notes/notes.js'),
  '/hgx.js': sdk,
};
// The page imports '@hypergolix/hgx' by name, as an app's code does; the import map says where it is.
const importMap = JSON.stringify({ imports: { '@hypergolix/hgx': '/hgx.js' } });
const importMapHash = createHash('sha256').update(importMap).digest('base64');

async function page(port) {
  const key = (await readFile(values['token-file'], 'utf8')).trim();
  // A data block, not a script: the page reads it; nothing else can (same-origin only, no-store).
  // daemonPort: the page dials this relay, but proves the key to the daemon, whose port the proof names.
  const handed = JSON.stringify({ token: key, port, daemonPort: Number(values['daemon-port']) }).replaceAll('<', '\\u003c');
  const html = await readFile(join(here, 'index.html'), 'utf8');
  return html.replace('<!--host-->', `<script type="importmap">${importMap}</script>\n    <script id="hgx-host" type="application/json">${handed}</script>`);
}

const server = createServer(async (req, res) => {
  const port = server.address().port;
  const headers = {
    'cache-control': 'no-store',
    'x-content-type-options': 'nosniff',
    'content-security-policy': `default-src 'none'; script-src 'self' 'sha256-${importMapHash}'; style-src 'unsafe-inline'; connect-src ws://127.0.0.1:${port}`,
  };
  try {
    const path = new URL(req.url ?? '/', 'http://x').pathname;
    if (path === '/') return res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8' }).end(await page(port));
    if (files[path]) return res.writeHead(200, { ...headers, 'content-type': 'text/javascript; charset=utf-8' }).end(await readFile(files[path]));
    res.writeHead(404, headers).end('not found');
  } catch (err) {
    res.writeHead(500, headers).end(String(err.message));
  }
});

// The relay: only this host's own page, to the daemon, messages as they are.
const relay = new WebSocketServer({ noServer: true, perMessageDeflate: false });
server.on('upgrade', (req, socket, head) => {
  if (req.headers.origin !== `http://127.0.0.1:${server.address().port}`) {
    socket.end('HTTP/1.1 403 Forbidden\r\nConnection: close\r\n\r\n');
    return;
  }
  relay.handleUpgrade(req, socket, head, (pageSocket) => {
    const daemon = new WebSocket(daemonUrl, { perMessageDeflate: false, maxPayload: 16 << 20 });
    const early = [];
    pageSocket.on('message', (data, binary) => (daemon.readyState === WebSocket.OPEN ? daemon.send(data, { binary }) : early.push([data, binary])));
    daemon.on('open', () => early.splice(0).forEach(([data, binary]) => daemon.send(data, { binary })));
    daemon.on('message', (data, binary) => pageSocket.send(data, { binary }));
    const closeBoth = () => {
      pageSocket.terminate();
      daemon.terminate();
    };
    pageSocket.on('close', closeBoth);
    daemon.on('close', closeBoth);
    daemon.on('error', closeBoth);
    pageSocket.on('error', closeBoth);
  });
});

server.listen(Number(values.port), '127.0.0.1', () => {
  process.stdout.write(`${JSON.stringify({ type: 'listening', url: `http://127.0.0.1:${server.address().port}/` })}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
