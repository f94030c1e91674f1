import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, symlinkSync, writeFileSync, mkdirSync } from 'node:fs';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import WebSocket from 'ws';
import type { HostEvent } from '../../src/common/contract.js';
import type { ServerMessage } from '../../src/common/contract-envelope.js';
import { CONTENT_SECURITY_POLICY, startBridgeServer, type BridgeServer } from '../../src/web/bridge-server.js';
import { FAKE_IDENTITY, FakeHost } from '../fixtures/ui/fake-host.js';

interface Raw {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

/** A raw GET, so tests control every header (fetch forbids setting Host, Origin, Cookie). */
function get(port: number, path: string, headers: Record<string, string> = {}): Promise<Raw> {
  return new Promise((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port, path, headers: { host: `127.0.0.1:${port}`, ...headers } }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end();
  });
}

/** A client socket that queues what it receives, so a test can await messages in order. */
class Client {
  readonly ws: WebSocket;
  private queue: ServerMessage[] = [];
  private waiting: ((m: ServerMessage) => void)[] = [];
  readonly closed: Promise<{ code: number; reason: string }>;
  readonly opened: Promise<void>;

  constructor(url: string, headers: Record<string, string> = {}) {
    this.ws = new WebSocket(url, { headers });
    this.ws.on('message', (data) => {
      const msg = JSON.parse(data.toString()) as ServerMessage;
      const w = this.waiting.shift();
      if (w) w(msg);
      else this.queue.push(msg);
    });
    this.closed = new Promise((r) => this.ws.on('close', (code, reason) => r({ code, reason: reason.toString() })));
    this.opened = new Promise((ok, bad) => {
      this.ws.once('open', () => ok());
      this.ws.once('error', bad);
      this.ws.once('unexpected-response', (_req, res) => bad(new Error(`HTTP ${res.statusCode}`)));
    });
  }

  next(): Promise<ServerMessage> {
    const m = this.queue.shift();
    return m ? Promise.resolve(m) : new Promise((r) => this.waiting.push(r));
  }

  /** The next answer (skipping events). */
  async answer(): Promise<Extract<ServerMessage, { response: unknown }>> {
    for (;;) {
      const m = await this.next();
      if ('response' in m) return m;
    }
  }

  send(v: unknown): void {
    this.ws.send(typeof v === 'string' ? v : JSON.stringify(v));
  }

  close(): void {
    this.ws.close();
  }
}

describe('browser-mode bridge server', () => {
  let dir: string;
  let host: FakeHost;
  let server: BridgeServer;
  let token: string;
  let wsUrl: string;
  let origin: string;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hgx-bridge-'));
    const staticDir = join(dir, 'renderer');
    mkdirSync(staticDir);
    writeFileSync(join(staticDir, 'index.html'), '<!doctype html><title>hgx</title><script type="module" src="app.js"></script>');
    writeFileSync(join(staticDir, 'app.js'), 'console.log(1)');
    writeFileSync(join(dir, 'secret.txt'), 'outside the UI folder');
    symlinkSync(join(dir, 'secret.txt'), join(staticDir, 'escape.txt'));
    host = new FakeHost({ state: 'locked', password: 'right-password-1', stepMs: 5 });
    server = await startBridgeServer({ host, staticDir, maxMessageBytes: 8 * 1024 });
    token = new URL(server.url).searchParams.get('token')!;
    origin = `http://127.0.0.1:${server.port}`;
    wsUrl = `ws://127.0.0.1:${server.port}/bridge?token=${encodeURIComponent(token)}`;
  });

  after(async () => {
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  });

  test('binds 127.0.0.1 only, with a 32-byte base64url token in its URL', async () => {
    const url = new URL(server.url);
    assert.equal(url.hostname, '127.0.0.1');
    assert.match(token, /^[A-Za-z0-9_-]{43}$/);
    // Not reachable on another loopback address, so not on any other interface either.
    const refused = await new Promise<boolean>((resolve) => {
      const s = connect({ host: '127.0.0.2', port: server.port });
      s.once('connect', () => (s.destroy(), resolve(false)));
      s.once('error', () => resolve(true));
    });
    assert.equal(refused, true);
  });

  test('the page needs the token; with it, it comes with a strict CSP and no caching', async () => {
    assert.equal((await get(server.port, '/')).status, 403);
    assert.equal((await get(server.port, '/?token=wrong')).status, 403);
    assert.equal((await get(server.port, `/?token=${token}x`)).status, 403);
    const ok = await get(server.port, `/?token=${token}`);
    assert.equal(ok.status, 200);
    assert.match(ok.body, /<title>hgx<\/title>/);
    assert.equal(ok.headers['content-security-policy'], CONTENT_SECURITY_POLICY);
    assert.match(String(ok.headers['content-security-policy']), /default-src 'self'.*frame-ancestors 'none'/);
    assert.equal(ok.headers['x-content-type-options'], 'nosniff');
    assert.equal(ok.headers['cache-control'], 'no-store');
    const cookie = String(ok.headers['set-cookie']);
    assert.match(cookie, new RegExp(`^hgx_token_${server.port}=${token};`));
    assert.match(cookie, /HttpOnly/);
    assert.match(cookie, /SameSite=Strict/);
  });

  test('files load with the cookie, and nothing outside the UI folder is served', async () => {
    const cookie = `hgx_token_${server.port}=${token}`;
    assert.equal((await get(server.port, '/app.js')).status, 403);
    const js = await get(server.port, '/app.js', { cookie });
    assert.equal(js.status, 200);
    assert.match(String(js.headers['content-type']), /^text\/javascript/);
    assert.equal((await get(server.port, '/%2e%2e/secret.txt', { cookie })).status, 404);
    assert.equal((await get(server.port, '/..%2fsecret.txt', { cookie })).status, 404);
    assert.equal((await get(server.port, '/nope.js', { cookie })).status, 404);
    assert.equal((await get(server.port, '/escape.txt', { cookie })).status, 404, 'a symlink out of the UI folder');
    assert.equal((await get(server.port, '/..%5csecret.txt', { cookie })).status, 400, 'a backslash');
    assert.equal((await get(server.port, '/a%00b', { cookie })).status, 400, 'a NUL');
    assert.equal((await get(server.port, '/%E0%A4%A', { cookie })).status, 400, 'malformed percent-encoding');
    const refused = await get(server.port, '/%2e%2e/secret.txt', { cookie });
    assert.doesNotMatch(refused.body, /outside/);
    assert.equal(refused.headers['content-security-policy'], CONTENT_SECURITY_POLICY, 'refusals carry the headers too');
    assert.equal(refused.headers['x-content-type-options'], 'nosniff');
    assert.equal(refused.headers['cache-control'], 'no-store');
    assert.equal(refused.headers['x-frame-options'], 'DENY');
    assert.equal(js.headers['content-length'], String('console.log(1)'.length));
    assert.equal(js.headers['set-cookie'], undefined, 'the cookie is set only for the tokened URL');
  });

  test('a request naming another Host (DNS rebinding) is refused', async () => {
    const res = await get(server.port, `/?token=${token}`, { host: `evil.example:${server.port}` });
    assert.equal(res.status, 421);
  });

  test('the socket needs the token and refuses foreign origins', async () => {
    await assert.rejects(new Client(`ws://127.0.0.1:${server.port}/bridge`, { origin }).opened, /HTTP 403/);
    await assert.rejects(new Client(`ws://127.0.0.1:${server.port}/bridge?token=nope`, { origin }).opened, /HTTP 403/);
    await assert.rejects(new Client(wsUrl, { origin: 'http://evil.example' }).opened, /HTTP 403/);
    await assert.rejects(new Client(wsUrl, { origin: `http://127.0.0.1:${server.port + 1}` }).opened, /HTTP 403/);
    await assert.rejects(new Client(wsUrl.replace('/bridge', '/other'), { origin }).opened, /HTTP 404/);
    const byCookie = new Client(`ws://127.0.0.1:${server.port}/bridge`, { origin, cookie: `hgx_token_${server.port}=${token}` });
    await byCookie.opened;
    byCookie.close();
  });

  test('requests reach the host and events reach the client', async () => {
    const c = new Client(wsUrl, { origin });
    await c.opened;
    c.send({ id: 1, request: { kind: 'whoami' } });
    assert.deepEqual(await c.answer(), { id: 1, response: { ok: true, value: FAKE_IDENTITY } });

    c.send({ id: 2, request: { kind: 'unlock', password: 'wrong', rememberOnThisComputer: false } });
    const wrong = await c.answer();
    assert.equal(wrong.id, 2);
    assert.equal(wrong.response.ok, false);
    assert.equal(!wrong.response.ok && wrong.response.error.code, 'wrong-password');

    const events: HostEvent[] = [];
    c.send({ id: 3, request: { kind: 'unlock', password: 'right-password-1', rememberOnThisComputer: true } });
    for (;;) {
      const m = await c.next();
      if ('event' in m) events.push(m.event);
      else {
        assert.deepEqual(m, { id: 3, response: { ok: true, value: {} } });
        break;
      }
    }
    assert.deepEqual(
      events.map((e) => (e.kind === 'status' ? e.status.state : e.kind)),
      ['unlocking', 'running'],
    );
    assert.deepEqual(host.callsOf('unlock').at(-1), { kind: 'unlock', password: 'right-password-1', rememberOnThisComputer: true });

    host.emit({ kind: 'restartProgress', phase: 'starting' });
    assert.deepEqual(await c.next(), { event: { kind: 'restartProgress', phase: 'starting' } });
    c.close();
    await c.closed;
  });

  test('malformed input gets a typed error and the connection keeps serving', async () => {
    const c = new Client(wsUrl, { origin });
    await c.opened;
    const before = host.calls.length;

    c.send('{not json');
    assert.deepEqual((await c.answer()).response, { ok: false, error: { code: 'bad-request', message: 'Not JSON' } });

    c.send({ request: { kind: 'status' } });
    let a = await c.answer();
    assert.equal(a.id, null);
    assert.equal(!a.response.ok && a.response.error.code, 'bad-request');

    c.send({ id: 7, request: { kind: 'formatDisk' } });
    a = await c.answer();
    assert.equal(a.id, 7);
    assert.equal(!a.response.ok && a.response.error.code, 'unknown-request');

    c.send({ id: 8, request: { kind: 'unlock', password: 42, rememberOnThisComputer: false } });
    a = await c.answer();
    assert.equal(a.id, 8);
    assert.equal(!a.response.ok && a.response.error.code, 'bad-request');
    assert.match(!a.response.ok ? a.response.error.message : '', /password/);

    c.send({ id: 9, request: { kind: 'saveSettings', settings: { remotes: 'all of them' } } });
    a = await c.answer();
    assert.equal(!a.response.ok && a.response.error.code, 'bad-request');

    c.send([1, 2, 3]);
    assert.equal((await c.answer()).id, null);
    c.send('null');
    assert.equal((await c.answer()).id, null);
    c.ws.send(Buffer.from([1, 2, 3]), { binary: true });
    assert.equal((await c.answer()).id, null);

    assert.equal(host.calls.length, before, 'nothing malformed reached the host');
    c.send({ id: 10, request: { kind: 'status' } });
    a = await c.answer();
    assert.equal(a.id, 10);
    assert.equal(a.response.ok, true);
    c.close();
    await c.closed;
  });

  test('an oversize message closes that socket with 1009; the server keeps serving', async () => {
    const c = new Client(wsUrl, { origin });
    await c.opened;
    c.send({ id: 1, request: { kind: 'createAccount', password: 'x'.repeat(20_000) } });
    const { code } = await c.closed;
    assert.equal(code, 1009);

    const d = new Client(wsUrl, { origin });
    await d.opened;
    d.send({ id: 1, request: { kind: 'status' } });
    assert.equal((await d.answer()).response.ok, true);
    d.close();
    await d.closed;
  });

  test('a closed socket unsubscribes from the host', async () => {
    await new Promise((r) => setTimeout(r, 20));
    const idle = host.listenerCount;
    const c = new Client(wsUrl, { origin });
    await c.opened;
    assert.equal(host.listenerCount, idle + 1);
    c.close();
    await c.closed;
    // The bridge hears of the close a moment after the client: wait for it, bounded.
    for (let i = 0; i < 500 && host.listenerCount !== idle; i++) await new Promise((r) => setTimeout(r, 10));
    assert.equal(host.listenerCount, idle);
  });
});

test('requests beyond the in-flight limit are answered busy, not queued without bound', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hgx-bridge-'));
  writeFileSync(join(dir, 'index.html'), 'x');
  const host = new FakeHost({ state: 'locked', stepMs: 100 });
  const server = await startBridgeServer({ host, staticDir: dir, maxInFlight: 1 });
  const token = new URL(server.url).searchParams.get('token')!;
  const c = new Client(`ws://127.0.0.1:${server.port}/bridge?token=${token}`);
  await c.opened;
  c.send({ id: 1, request: { kind: 'unlock', password: 'x', rememberOnThisComputer: false } });
  c.send({ id: 2, request: { kind: 'status' } });
  const first = await c.answer();
  assert.equal(first.id, 2);
  assert.equal(!first.response.ok && first.response.error.code, 'busy');
  assert.equal((await c.answer()).id, 1);
  c.send({ id: 3, request: { kind: 'status' } });
  assert.equal((await c.answer()).response.ok, true, 'free again once the slow one answered');
  c.close();
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

test('close() stops the server and its sockets', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hgx-bridge-'));
  writeFileSync(join(dir, 'index.html'), 'x');
  const server = await startBridgeServer({ host: new FakeHost(), staticDir: dir });
  const token = new URL(server.url).searchParams.get('token')!;
  const c = new Client(`ws://127.0.0.1:${server.port}/bridge?token=${token}`);
  await c.opened;
  await server.close();
  assert.equal((await c.closed).code, 1001);
  await assert.rejects(get(server.port, '/'), /ECONNREFUSED/);
  rmSync(dir, { recursive: true, force: true });
});
