// The plain-HTTP side of the persistence server's port (http-endpoints.ts), what it is configured
// with (server-options.ts), the registration page (registration/page.ts) and the free-tier hint
// (registration/hint.ts): odd requests against a real server on 127.0.0.1 (methods, HEAD, request
// targets, malformed and slow clients), Prometheus exposition format, nonsense options, and
// hostile values in the page.
import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { createRequire } from 'node:module';
import { connect, type AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import WebSocket from 'ws';
import { RemoteClient } from '../../../src/core/remote/client.js';
import { clientErrorReply } from '../../../src/core/remote/http-endpoints.js';
import { PersistenceServer, type PersistenceServerOptions } from '../../../src/core/remote/server.js';
import { ChallengeBook } from '../../../src/core/registration/challenges.js';
import { registrationHint, roundBytes } from '../../../src/core/registration/hint.js';
import { RegistrationEndpoints } from '../../../src/core/registration/http.js';
import { PAGE_CSP, renderPage } from '../../../src/core/registration/page.js';
import { signChallenge } from '../../../src/core/registration/proof.js';
import { FileRegistry } from '../../../src/core/registration/registry.js';
import { FakeEngine } from '../../fixtures/remote/fake-engine.js';
import { memoryLogger } from '../../fixtures/remote/helpers.js';
import { startServer, vectors, type Running } from '../../fixtures/remote/setup.js';
import { v16Identity } from '../../fixtures/vectors.js';
import { until } from '../../fixtures/wait.js';

const V = vectors();
const MIB = 1024 * 1024;
const SECRET = 'a-webhook-secret-of-at-least-32-characters';

// ───────────────────────────── helpers ─────────────────────────────

/**
 * Sends `request` as raw bytes on a fresh socket and resolves with everything the server sent
 * until it closed the socket (or after `boundMs`, a safety bound: the socket is then destroyed
 * and `timedOut` says so). `halfClose` ends our side after sending.
 */
function raw(port: number, request: string | Buffer, halfClose = true, boundMs = 10_000): Promise<{ text: string; timedOut: boolean }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let timedOut = false;
    const bound = setTimeout(() => {
      timedOut = true;
      socket.destroy();
    }, boundMs);
    socket.on('data', (c: Buffer) => chunks.push(c));
    socket.on('error', () => {});
    socket.on('close', () => {
      clearTimeout(bound);
      resolve({ text: Buffer.concat(chunks).toString('latin1'), timedOut });
    });
    if (halfClose) socket.end(request);
    else socket.write(request);
  });
}

/** The status codes of every response in a raw answer, in order. */
function statuses(text: string): number[] {
  return [...text.matchAll(/HTTP\/1\.1 (\d{3}) [A-Z]/g)].map((m) => Number(m[1]));
}

/** The header block of the first response in a raw answer, lower-cased names. */
function headersOf(text: string): Map<string, string> {
  const head = text.split('\r\n\r\n', 1)[0]!.split('\r\n').slice(1);
  return new Map(head.map((l) => [l.slice(0, l.indexOf(':')).toLowerCase(), l.slice(l.indexOf(':') + 1).trim()]));
}

/** A persistence server over the fake engine with registration (invite policy) on its HTTP listener. */
interface WithRegistration {
  server: PersistenceServer;
  engine: FakeEngine;
  port: number;
  base: string;
  logger: ReturnType<typeof memoryLogger>;
  registration: RegistrationEndpoints;
  stop(): Promise<void>;
}

async function serveWithRegistration(): Promise<WithRegistration> {
  const dir = mkdtempSync(join(tmpdir(), 'hgx-http-endpoints-'));
  const accounts = await FileRegistry.open(join(dir, 'ghidcache.accounts'));
  const challenges = new ChallengeBook();
  const engine = new FakeEngine();
  for (const g of V.gidcs) await engine.ingest(g.raw);
  const registration = new RegistrationEndpoints(() => ({
    policy: 'invite',
    accounts,
    challenges,
    identityOf: async (fp) => engine.objects.get(fp.text)?.raw ?? null,
    usedBytes: () => 0,
    freeBytes: 10 * MIB,
    webhookSecret: SECRET,
  }));
  const logger = memoryLogger();
  const server = new PersistenceServer({ engine, host: '127.0.0.1', port: 0, http: registration, logger });
  const { port } = await server.listen();
  await server.whenReady();
  return {
    server,
    engine,
    port,
    base: `http://127.0.0.1:${port}`,
    logger,
    registration,
    async stop() {
      await server.close();
      await accounts.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Problems with `text` as Prometheus text exposition format 0.0.4 (empty when none): line
 * syntax, names, label escaping, values, one HELP/TYPE per family before its samples, families
 * not interleaved, no duplicate series, counters not negative, histograms well formed.
 */
function expositionProblems(text: string): string[] {
  const problems: string[] = [];
  if (!text.endsWith('\n')) problems.push('the text does not end with a newline');
  const lines = text.split('\n');
  if (lines[lines.length - 1] === '') lines.pop();
  const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
  const VALUE = /^(?:[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?|[+-]?Inf|NaN)$/;
  const LABEL = /^([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\\n]|\\[\\"n])*)"(,|$)/;
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const sampled = new Set<string>();
  const closed = new Set<string>();
  const series = new Set<string>();
  const buckets = new Map<string, { le: number; v: number }[]>();
  const counts = new Map<string, number>();
  let current: string | null = null;
  const enter = (family: string, where: string): void => {
    if (family === current) return;
    if (closed.has(family)) problems.push(`${where}: family ${family} is interleaved with another`);
    if (current !== null) closed.add(current);
    current = family;
  };
  const familyOf = (name: string): string => {
    for (const suffix of ['_bucket', '_sum', '_count']) {
      const base = name.slice(0, -suffix.length);
      if (name.endsWith(suffix) && (types.get(base) === 'histogram' || types.get(base) === 'summary')) return base;
    }
    return name;
  };
  lines.forEach((line, i) => {
    const where = `line ${i + 1} (${JSON.stringify(line.slice(0, 80))})`;
    if (line === '') return;
    if (line.startsWith('#')) {
      const m = /^# (HELP|TYPE) (\S+)(?: (.*))?$/.exec(line);
      if (!m) return; // a comment
      const [, kind, name, rest = ''] = m as unknown as [string, string, string, string | undefined];
      if (!NAME.test(name)) problems.push(`${where}: bad metric name`);
      enter(name, where);
      if (kind === 'HELP') {
        if (helps.has(name)) problems.push(`${where}: second HELP for ${name}`);
        helps.add(name);
        if (/\\(?![\\n])/.test(rest)) problems.push(`${where}: HELP has an escape other than \\\\ or \\n`);
      } else {
        if (types.has(name)) problems.push(`${where}: second TYPE for ${name}`);
        if (sampled.has(name)) problems.push(`${where}: TYPE after samples of ${name}`);
        if (!['counter', 'gauge', 'histogram', 'summary', 'untyped'].includes(rest)) problems.push(`${where}: unknown type ${rest}`);
        types.set(name, rest);
      }
      return;
    }
    const m = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)(?: (-?\d+))?$/.exec(line);
    if (!m) {
      problems.push(`${where}: not a sample line`);
      return;
    }
    const [, name, labelText = '', value] = m as unknown as [string, string, string | undefined, string];
    const labels: [string, string][] = [];
    let rest = labelText;
    while (rest.length > 0) {
      const l = LABEL.exec(rest);
      if (!l) {
        problems.push(`${where}: malformed labels`);
        break;
      }
      labels.push([l[1]!, l[2]!]);
      rest = rest.slice(l[0].length);
    }
    if (new Set(labels.map(([k]) => k)).size !== labels.length) problems.push(`${where}: a label name twice`);
    if (!VALUE.test(value)) problems.push(`${where}: value ${value} is not a float`);
    const family = familyOf(name);
    enter(family, where);
    sampled.add(family);
    const key = `${name}{${labels.map(([k, v]) => `${k}=${v}`).sort().join(',')}}`;
    if (series.has(key)) problems.push(`${where}: duplicate series ${key}`);
    series.add(key);
    const v = value === '+Inf' || value === 'Inf' ? Infinity : value === '-Inf' ? -Infinity : Number(value);
    if (types.get(family) === 'counter' && !(v >= 0)) problems.push(`${where}: counter ${name} is ${value}`);
    if (types.get(family) === 'histogram') {
      const group = `${family}{${labels.filter(([k]) => k !== 'le').map(([k, x]) => `${k}=${x}`).sort().join(',')}}`;
      if (name.endsWith('_bucket')) {
        const le = labels.find(([k]) => k === 'le')?.[1];
        if (le === undefined || !VALUE.test(le)) problems.push(`${where}: bucket without a float le`);
        else buckets.set(group, [...(buckets.get(group) ?? []), { le: le === '+Inf' ? Infinity : Number(le), v }]);
      } else if (name.endsWith('_count')) counts.set(group, v);
    }
  });
  for (const [group, bs] of buckets) {
    for (let i = 1; i < bs.length; i++) {
      if (!(bs[i]!.le > bs[i - 1]!.le)) problems.push(`${group}: le not ascending`);
      if (!(bs[i]!.v >= bs[i - 1]!.v)) problems.push(`${group}: bucket counts not cumulative`);
    }
    if (bs[bs.length - 1]?.le !== Infinity) problems.push(`${group}: no +Inf bucket last`);
    else if (counts.get(group) !== bs[bs.length - 1]!.v) problems.push(`${group}: _count differs from the +Inf bucket`);
  }
  return problems;
}

// ───────────────────────────── odd requests on a real server ─────────────────────────────

describe('http-endpoints: odd requests on a real server with registration on', () => {
  let s: WithRegistration;
  before(async () => {
    s = await serveWithRegistration();
  });
  after(() => s.stop());

  test('HEAD /healthz and /metrics: the GET status and headers, no body (a pipelined GET after it still parses)', async () => {
    for (const path of ['/healthz', '/metrics']) {
      const { text } = await raw(s.port, `HEAD ${path} HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      assert.deepEqual(statuses(text), [200, 200], text);
      const head = headersOf(text);
      assert.equal(head.get('content-type'), path === '/healthz' ? 'application/json' : 'text/plain; version=0.0.4; charset=utf-8');
      assert.ok(Number(head.get('content-length')) > 0, 'the length the GET would have');
      const afterHead = text.slice(text.indexOf('\r\n\r\n') + 4);
      assert.ok(afterHead.startsWith('HTTP/1.1 200 '), `no body after the HEAD answer: ${JSON.stringify(afterHead.slice(0, 60))}`);
    }
    const unknown = await raw(s.port, 'HEAD /nothing-here HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    assert.deepEqual(statuses(unknown.text), [404]);
    assert.ok(unknown.text.endsWith('\r\n\r\n'), 'a HEAD 404 has no body');
  });

  test('query strings, trailing slashes, percent-encoding, dot-segments, an 8 KB query, non-ASCII: a status below 500, JSON, never a crash', async () => {
    const cases: [string, number][] = [
      ['/healthz?', 200],
      ['/healthz?verbose=1&x=%ZZ', 200],
      ['/metrics?name[]=hypergolix_ready', 200],
      ['/healthz/', 404],
      ['/metrics/', 404],
      ['/%68ealthz', 404],
      ['/healthz%00', 404],
      ['/../../etc/passwd', 404],
      ['/register/../../../etc/passwd', 404],
      ['/register/%2e%2e/%2e%2e/etc/passwd', 404],
      ['/?' + 'a'.repeat(8000), 404],
      ['/register/status?fingerprint=' + '%ff'.repeat(2000), 400],
      ['/register/status?fingerprint=%3Cscript%3E', 400],
      ['/register/challenge?', 200],
    ];
    for (const [path, status] of cases) {
      const res = await fetch(`${s.base}${path}`);
      const body = await res.text();
      assert.equal(res.status, status, `${path.slice(0, 60)}: ${body.slice(0, 200)}`);
      if (status !== 200 || !path.startsWith('/metrics')) {
        assert.equal(res.headers.get('content-type'), 'application/json', path.slice(0, 60));
        assert.doesNotThrow(() => JSON.parse(body), path.slice(0, 60));
      }
    }
    // Raw bytes a browser would have encoded: Node's parser refuses them; the answer is a 400.
    const latin = await raw(s.port, Buffer.concat([Buffer.from('GET /healthz?x='), Buffer.from([0xff, 0xfe, 0x80]), Buffer.from(' HTTP/1.1\r\nHost: x\r\n\r\n')]));
    assert.ok(statuses(latin.text).every((c) => c < 500), latin.text);
    assert.equal((await fetch(`${s.base}/healthz`)).status, 200, 'and the server goes on');
    assert.ok(!s.logger.lines.some((l) => l.startsWith('error')), s.logger.lines.join('\n'));
  });

  test('an absolute-form request target (RFC 9112 §3.2.2: a server MUST accept it) reaches /healthz and /metrics', async () => {
    const host = `127.0.0.1:${s.port}`;
    // The registration routes already take it (they parse with new URL); the server's own do not.
    const challenge = await raw(s.port, `GET http://${host}/register/challenge HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
    assert.deepEqual(statuses(challenge.text), [200]);
    for (const path of ['/healthz', '/metrics', '/healthz?probe=1']) {
      const { text } = await raw(s.port, `GET http://${host}${path} HTTP/1.1\r\nHost: ${host}\r\nConnection: close\r\n\r\n`);
      assert.deepEqual(statuses(text), [200], `GET http://${host}${path}: ${text.split('\r\n')[0]}`);
    }
  });

  test('a request target the URL parser refuses (//[, http://[) is a 4xx, not a 500 logged as a server error', async () => {
    const errorsBefore = s.logger.lines.filter((l) => l.startsWith('error')).length;
    for (const target of ['//[', 'http://[', '//%zz/register', 'http://a:99999/register']) {
      const { text } = await raw(s.port, `GET ${target} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      const [status] = statuses(text);
      assert.ok(status !== undefined && status >= 400 && status < 500, `GET ${target}: ${text.split('\r\n')[0]}`);
    }
    const errors = s.logger.lines.filter((l) => l.startsWith('error')).slice(errorsBefore);
    assert.deepEqual(errors, [], 'a client sending a broken URL is no server error');
  });

  test('registration routes: HEAD answers as GET does, without a body; another method is 405 with Allow, not 404', async () => {
    const fp = V.ids[0].text;
    for (const path of ['/register/challenge', `/register/status?fingerprint=${fp}`]) {
      const { text } = await raw(s.port, `HEAD ${path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n`);
      assert.deepEqual(statuses(text), [200], `HEAD ${path}: ${text.split('\r\n')[0]}`);
      assert.ok(text.endsWith('\r\n\r\n'), `HEAD ${path} has no body`);
    }
    const wrong: [string, string, string][] = [
      ['POST', '/register/challenge', 'GET'],
      ['PUT', '/register', 'POST'],
      ['DELETE', '/register/status', 'GET'],
      ['GET', '/accounts/webhook', 'POST'],
    ];
    for (const [method, path, allowed] of wrong) {
      const res = await fetch(`${s.base}${path}`, { method, ...(method === 'PUT' ? { body: '' } : {}) });
      await res.arrayBuffer();
      assert.equal(res.status, 405, `${method} ${path}: the page is there, the method is not`);
      assert.match(res.headers.get('allow') ?? '', new RegExp(allowed), `${method} ${path}: Allow names ${allowed}`);
    }
  });

  test('malformed requests: 400 with Connection: close for smuggling shapes, bad headers, an unknown HTTP version; a body on a 405 does not desync keep-alive', async () => {
    const bad = [
      'POST /register HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
      'POST /register HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nContent-Length: 4\r\n\r\nabcd',
      'GET /healthz HTTP/1.1\r\nHost: x\r\nBad Header: y\r\n\r\n',
      'GET /healthz HTTP/1.1\r\nHost: x\r\nX: \x00\r\n\r\n',
      'GET /healthz HTTP/9.9\r\nHost: x\r\n\r\n',
    ];
    for (const request of bad) {
      const { text, timedOut } = await raw(s.port, request);
      assert.equal(timedOut, false, 'the server closes the socket');
      assert.deepEqual(statuses(text), [400], `${JSON.stringify(request.slice(0, 60))} → ${text.split('\r\n')[0]}`);
      assert.equal(headersOf(text).get('connection'), 'close');
    }
    // A 405 to a POST with a body; the next request on the same connection is still read as one.
    const pipelined = await raw(
      s.port,
      'POST /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 11\r\n\r\nGET /x HTTP\r\nGET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
    );
    assert.deepEqual(statuses(pipelined.text), [405, 200], pipelined.text);
  });

  test('a chunk extension over Node’s limit is 413 Payload Too Large, as Node answers it (the 400 of clientErrorReply says the request was malformed)', async () => {
    const request = `POST /register HTTP/1.1\r\nHost: x\r\nContent-Type: application/x-www-form-urlencoded\r\nTransfer-Encoding: chunked\r\n\r\n1;${'a'.repeat(20_000)}\r\nx\r\n0\r\n\r\n`;
    const { text } = await raw(s.port, request);
    assert.equal(text.split('\r\n')[0], 'HTTP/1.1 413 Payload Too Large');
    assert.equal((await fetch(`${s.base}/healthz`)).status, 200);
  });

  test('the registration page through the server: hostile link fields and codes are never reflected as markup; JSON stays JSON', async () => {
    const hostile = `"><script>alert(1)</script><img src=x onerror=alert(2)>'`;
    const pages = [
      await fetch(`${s.base}/register?fingerprint=${encodeURIComponent(hostile)}&challenge=${encodeURIComponent(hostile)}&signature=${encodeURIComponent(hostile)}`),
      await fetch(`${s.base}/register?fingerprint=${V.ids[0].text}&challenge=${encodeURIComponent(hostile)}&signature=${encodeURIComponent(hostile)}`),
    ];
    // A good link (the GIDC is in the store) and a wrong, hostile code: the form comes back with the link's fields.
    const me = v16Identity(0);
    const { challenge } = (await (await fetch(`${s.base}/register/challenge`)).json()) as { challenge: string };
    const form = new URLSearchParams({ fingerprint: me.ghid.text, challenge, signature: await signChallenge(me, challenge), code: hostile });
    pages.push(await fetch(`${s.base}/register`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() }));
    const [badLink, stale, wrongCode] = await Promise.all(pages.map(async (r) => ({ status: r.status, headers: r.headers, text: await r.text() })));
    assert.equal(badLink!.status, 400);
    assert.equal(stale!.status, 403);
    assert.equal(wrongCode!.status, 403);
    assert.match(wrongCode!.text, /data-result="form"/);
    for (const p of [badLink!, stale!, wrongCode!]) {
      assert.equal(p.headers.get('content-type'), 'text/html; charset=utf-8');
      assert.equal(p.headers.get('content-security-policy'), PAGE_CSP);
      assert.equal(p.headers.get('x-content-type-options'), 'nosniff');
      assert.doesNotMatch(p.text, /<script|<img|onerror=/i);
      assert.equal((p.text.match(/<input /g) ?? []).length, p === wrongCode ? 4 : 0);
    }
    const status = await fetch(`${s.base}/register/status?fingerprint=${encodeURIComponent(hostile)}`);
    assert.equal(status.status, 400);
    assert.equal(status.headers.get('content-type'), 'application/json');
    assert.deepEqual(await status.json(), { status: 'error', message: 'fingerprint: not a GHID' });
  });

  test('/metrics is valid Prometheus text (0.0.4) with registration on, after publishes, NKs and refusals', async () => {
    const c = new RemoteClient({ host: '127.0.0.1', port: s.port });
    c.start();
    await c.whenConnected(5000);
    await c.publish(V.frames[0]!.raw);
    await assert.rejects(c.get(V.geocs[0]!.obj.ghid), 'not stored: an NK');
    await c.close();
    const res = await fetch(`${s.base}/register?fingerprint=${V.ids[1].text}&challenge=${'A'.repeat(43)}&signature=AAAA`);
    await res.arrayBuffer();
    const text = await (await fetch(`${s.base}/metrics`)).text();
    assert.match(text, /^hypergolix_registration_refusals_total\{reason="challenge"\} \d+$/m);
    assert.match(text, /^hypergolix_accounts\{status="registered"\} 0$/m);
    assert.deepEqual(expositionProblems(text), [], text);
  });
});

describe('http-endpoints: a server of its own for each test', () => {
  test('/metrics of a busy server (publishes, an NK, a subscription) is valid Prometheus text', async (t) => {
    const r: Running = await startServer();
    t.after(() => r.stop());
    const c = await r.client();
    await c.subscribe(V.dynamic);
    await c.publish(V.gidcs[0]!.raw);
    await c.publish(V.frames[0]!.raw);
    await assert.rejects(c.get(V.ids[2]));
    const text = await (await fetch(`http://127.0.0.1:${r.port}/metrics`)).text();
    assert.deepEqual(expositionProblems(text), [], text);
    // The validator itself catches what it is for.
    assert.notDeepEqual(expositionProblems('a 1\nb{x="y} 2\na 3\n'), []);
    assert.notDeepEqual(expositionProblems('# TYPE a counter\na -1\n# TYPE a gauge\n'), []);
  });

  test('an extension whose metrics throw leaves the server’s own /metrics served (as a failing engine read is left out)', async (t) => {
    const logger = memoryLogger();
    const server = new PersistenceServer({
      engine: new FakeEngine(),
      host: '127.0.0.1',
      port: 0,
      logger,
      http: {
        handle: () => false,
        metrics: () => {
          throw new Error('the accounts journal cannot be read (EIO)');
        },
      },
    });
    t.after(() => server.close());
    const { port } = await server.listen();
    await server.whenReady();
    const res = await fetch(`http://127.0.0.1:${port}/metrics`);
    const text = await res.text();
    assert.equal(res.status, 200, `the scrape of every other figure fails: ${text}`);
    assert.match(text, /^hypergolix_ready 1$/m);
    assert.ok(logger.lines.some((l) => l.includes('EIO')), 'the failure is logged');
  });

  test('slow and half-closed clients: a half-sent request, an idle keep-alive, a half-close and an unread answer do not hold close() or leak a socket', async () => {
    const server = new PersistenceServer({ engine: new FakeEngine(), host: '127.0.0.1', port: 0 });
    const { port } = await server.listen();
    await server.whenReady();
    const http = (server as unknown as { http: import('node:http').Server }).http;
    const sockets = [0, 1, 2, 3].map(() => connect(port, '127.0.0.1'));
    let closed = 0;
    for (const sock of sockets) {
      sock.on('error', () => {});
      sock.on('close', () => closed++);
    }
    const answered: string[] = ['', '', '', ''];
    sockets.forEach((sock, i) => sock.on('data', (d: Buffer) => (answered[i] += d.toString('latin1'))));
    sockets[0]!.write('GET /healthz HTTP/1.1\r\nHo'); // half a request, then silence
    sockets[1]!.write('GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n'); // answered, then idle keep-alive
    sockets[2]!.end('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n'); // half-closed after its request
    sockets[3]!.pause(); // never reads its answer
    sockets[3]!.write('GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n');
    await until(() => answered[1]!.includes('{"status":"ok"}') && answered[2]!.startsWith('HTTP/1.1 200'), 'the complete requests answered');
    // The half-closed client is answered, then its connection ends; the three others stay open.
    await until(() => closed === 1, 'the half-closed client’s connection ended after its answer');
    await until(
      () => new Promise<boolean>((r) => http.getConnections((err, n) => r(!err && n === 3))),
      'the three other connections held by the server',
    );
    await server.close();
    sockets[3]!.resume();
    await until(() => closed === sockets.length, 'every client socket closed by close()');
    assert.equal(answered[0], '', 'no answer to half a request');
    await new Promise<void>((r) => http.getConnections((err, n) => (assert.ifError(err), assert.equal(n, 0), r())));
    for (const sock of sockets) sock.destroy();
  });
});

describe('clientErrorReply: what a client HTTP cannot parse is told', () => {
  const err = (code: string | undefined): Error & { code?: string } => Object.assign(new Error('x'), code === undefined ? {} : { code });

  test('431 for headers over the limit, 400 for garbage, nothing after a reset; each closes the connection', () => {
    assert.equal(clientErrorReply(err('ECONNRESET')), null);
    assert.match(clientErrorReply(err('HPE_HEADER_OVERFLOW'))!, /^HTTP\/1\.1 431 Request Header Fields Too Large\r\n/);
    for (const code of ['HPE_INVALID_METHOD', 'HPE_INVALID_HEADER_TOKEN', undefined]) {
      const reply = clientErrorReply(err(code))!;
      assert.match(reply, /^HTTP\/1\.1 400 Bad Request\r\n/);
      assert.match(reply, /\r\nConnection: close\r\n/);
      assert.ok(reply.endsWith('\r\nContent-Length: 0\r\n\r\n'));
    }
  });

  test('as Node answers when no one listens for clientError: 408 for a request timeout, 413 for chunk extensions', async (t) => {
    // What Node itself answers, measured on a bare server: its own defaults, not a guess.
    const bare = createHttpServer({ requestTimeout: 200, headersTimeout: 200, connectionsCheckingInterval: 50 }, (req, res) => {
      req.resume();
      req.on('end', () => res.end('ok'));
    });
    await new Promise<void>((r) => bare.listen(0, '127.0.0.1', () => r()));
    t.after(() => new Promise<void>((r) => bare.close(() => r())));
    const port = (bare.address() as AddressInfo).port;
    const nodeTimeout = (await raw(port, 'GET / HTTP/1.1\r\nHost: x\r\n', false)).text.split('\r\n')[0];
    const nodeChunk = (await raw(port, `POST / HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n1;${'a'.repeat(20_000)}\r\nx\r\n0\r\n\r\n`)).text.split('\r\n')[0];
    assert.equal(nodeTimeout, 'HTTP/1.1 408 Request Timeout');
    assert.equal(nodeChunk, 'HTTP/1.1 413 Payload Too Large');
    assert.equal(clientErrorReply(err('ERR_HTTP_REQUEST_TIMEOUT'))?.split('\r\n')[0], nodeTimeout, 'a slow client is told it was too slow');
    assert.equal(clientErrorReply(err('HPE_CHUNK_EXTENSIONS_OVERFLOW'))?.split('\r\n')[0], nodeChunk);
  });
});

// ───────────────────────────── server options ─────────────────────────────

describe('server options: nonsense is refused where it is given, naming the option', () => {
  /** The error `new PersistenceServer` throws for `extra`, or null when it accepts them. */
  async function refusalOf(extra: Partial<PersistenceServerOptions>): Promise<Error | null> {
    let server: PersistenceServer;
    try {
      server = new PersistenceServer({ engine: new FakeEngine(), host: '127.0.0.1', port: 0, ...extra });
    } catch (e) {
      return e as Error;
    }
    await server.close();
    return null;
  }

  async function accepted(cases: [keyof PersistenceServerOptions, unknown][]): Promise<string[]> {
    const wrong: string[] = [];
    for (const [name, value] of cases) {
      const e = await refusalOf({ [name]: value } as Partial<PersistenceServerOptions>);
      if (!e) wrong.push(`${name}: ${String(value)} accepted`);
      else if (!e.message.includes(name)) wrong.push(`${name}: ${String(value)} refused without naming it: "${e.message}"`);
    }
    return wrong;
  }

  test('what each connection runs on (message size, ping period, answer timeout, handlers) is checked at construction', async () => {
    // Today these pass construction and listen(), then throw in the first WebSocket upgrade.
    const wrong = await accepted([
      ['maxMessageBytes', NaN],
      ['maxMessageBytes', 0],
      ['maxMessageBytes', -1],
      ['maxMessageBytes', 1.5],
      ['pingIntervalMs', -1],
      ['pingIntervalMs', NaN],
      ['pingIntervalMs', 2 ** 31],
      ['notificationTimeoutMs', 0],
      ['notificationTimeoutMs', NaN],
      ['maxConcurrentHandlers', 0],
      ['maxConcurrentHandlers', 2.5],
    ]);
    assert.deepEqual(wrong, []);
  });

  test('a server built with a nonsense pingIntervalMs survives its first WebSocket connection (or refuses to be built)', async (t) => {
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const serverUrl = pathToFileURL(fileURLToPath(new URL('../../../src/core/remote/server.ts', import.meta.url))).href;
    const engineUrl = pathToFileURL(fileURLToPath(new URL('../../fixtures/remote/fake-engine.ts', import.meta.url))).href;
    const code = `
      const { PersistenceServer } = await import(${JSON.stringify(serverUrl)});
      const { FakeEngine } = await import(${JSON.stringify(engineUrl)});
      let server;
      try { server = new PersistenceServer({ engine: new FakeEngine(), host: '127.0.0.1', port: 0, pingIntervalMs: -1 }); }
      catch (e) { console.log('refused ' + e.message); process.exit(0); }
      const { port } = await server.listen();
      await server.whenReady();
      console.log('listening ' + port);
      process.on('SIGTERM', () => server.close().then(() => process.exit(0)));
    `;
    const child: ChildProcess = spawn(process.execPath, [`--import=${tsx}`, '--input-type=module', '-e', code], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    let exited: number | null | undefined;
    child.stdout!.on('data', (d: Buffer) => (out += d.toString()));
    child.stderr!.on('data', (d: Buffer) => (err += d.toString()));
    child.on('exit', (c) => (exited = c));
    t.after(() => {
      if (exited === undefined) child.kill('SIGKILL');
    });
    const first = await until(() => /^(refused|listening) .*$/m.exec(out)?.[0] ?? (exited !== undefined ? `exited ${exited}` : null), 'the child server to start', 20_000);
    if (first.startsWith('refused')) {
      assert.match(first, /pingIntervalMs/, 'the refusal names the option');
      return;
    }
    assert.match(first, /^listening \d+$/, `${first}\n${err}`);
    const port = Number(first.split(' ')[1]);
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
    ws.on('error', () => {});
    await until(() => ws.readyState === WebSocket.OPEN || ws.readyState === WebSocket.CLOSED || exited !== undefined, 'the WebSocket to open or fail');
    ws.terminate();
    const health = await fetch(`http://127.0.0.1:${port}/healthz`).then((r) => r.status, () => 'connection refused');
    assert.equal(exited, undefined, `the server process died on the connection:\n${err.split('\n').filter((l) => !l.startsWith('    at')).join('\n')}`);
    assert.equal(health, 200);
    child.kill('SIGTERM');
    await until(() => exited !== undefined, 'the child server to stop');
  });

  test('the limits the server applies itself (connections, subscriptions, push budget, close timeout) refuse NaN, negative and fractional values', async () => {
    const wrong = await accepted([
      ['maxConnections', NaN],
      ['maxConnections', -1],
      ['maxConnections', 1.5],
      ['maxSubscriptionsPerConnection', NaN],
      ['maxSubscriptionsPerConnection', -1],
      ['pushBudgetBytes', NaN],
      ['pushBudgetBytes', -1],
      ['closeTimeoutMs', NaN],
      ['closeTimeoutMs', -1],
    ]);
    assert.deepEqual(wrong, []);
  });

  test('publish rates: NaN and 0 are not silently "unlimited"; a bad rate or burst is refused naming its option', async () => {
    const wrong = await accepted([
      ['publishRatePerIdentity', NaN],
      ['publishRatePerIdentity', 0],
      ['publishRatePerIdentity', -1],
      ['unsignedPublishRatePerConnection', NaN],
      ['unsignedPublishRatePerConnection', -2],
    ]);
    for (const burst of [0, NaN]) {
      const e = await refusalOf({ publishRatePerIdentity: 1, publishBurst: burst });
      if (!e) wrong.push(`publishBurst: ${burst} accepted`);
      else if (!e.message.includes('publishBurst')) wrong.push(`publishBurst: ${burst} refused without naming it: "${e.message}"`);
    }
    assert.deepEqual(wrong, []);
  });

  test('sensible values are accepted: the defaults, ping 0 (off), a fractional rate, burst 1, port 0; a bad port is refused clearly', async () => {
    for (const extra of [
      {},
      { pingIntervalMs: 0 },
      { publishRatePerIdentity: 0.5, publishBurst: 1 },
      { unsignedPublishRatePerConnection: 0.1 },
      { publishRatePerIdentity: null, unsignedPublishRatePerConnection: null, publishBurst: null },
      { maxMessageBytes: 1024, maxConnections: 1, maxSubscriptionsPerConnection: 1, pushBudgetBytes: 1, closeTimeoutMs: 1 },
    ] satisfies Partial<PersistenceServerOptions>[]) {
      assert.equal(await refusalOf(extra), null, JSON.stringify(extra));
    }
    for (const port of [-1, 65536, 1.5]) {
      const server = new PersistenceServer({ engine: new FakeEngine(), host: '127.0.0.1', port });
      await assert.rejects(server.listen(), (e: unknown) => e instanceof Error && /port/.test(e.message) && e.message.includes(String(port)));
      await server.close();
    }
  });
});

// ───────────────────────────── the registration page ─────────────────────────────

describe('registration page (page.ts)', () => {
  const hostile = `</title></code>"'><script>alert(1)</script><img src=x onerror=alert(2)>&amp;`;
  const unescape = (s: string): string => s.replace(/&#(\d+);/g, (_, n: string) => String.fromCharCode(Number(n)));

  test('every slot escapes what a user or a server error could put there: text, attributes, the form fields', () => {
    const html = renderPage({
      title: hostile,
      result: 'form',
      message: hostile,
      fingerprint: hostile,
      policy: 'invite',
      form: { fingerprint: hostile, challenge: `" autofocus onfocus="alert(3)`, signature: `'><svg/onload=alert(4)>`, error: hostile },
    });
    assert.doesNotMatch(html, /<script|<img|<svg|<\/code>"/i);
    const tags = [...html.matchAll(/<([a-z0-9]+)((?:\s+[a-z-]+(?:="[^"]*")?)*)\s*>/gi)];
    // Every tag is one the page means to write, with only its own attributes.
    const allowed = new Set(['html', 'head', 'meta', 'title', 'style', 'body', 'h1', 'p', 'br', 'code', 'form', 'input', 'label', 'button']);
    for (const [, name] of tags) assert.ok(allowed.has(name!.toLowerCase()), `unexpected <${name}>`);
    const inputs = tags.filter(([, n]) => n === 'input').map(([, , attrs]) => new Map([...attrs!.matchAll(/([a-z-]+)(?:="([^"]*)")?/g)].map((m) => [m[1]!, m[2] ?? ''])));
    assert.equal(inputs.length, 4);
    const hidden = inputs.filter((a) => a.get('type') === 'hidden');
    assert.deepEqual(
      hidden.map((a) => [a.get('name'), unescape(a.get('value')!)]),
      [
        ['fingerprint', hostile],
        ['challenge', `" autofocus onfocus="alert(3)`],
        ['signature', `'><svg/onload=alert(4)>`],
      ],
      'each value round-trips exactly',
    );
    for (const a of hidden) assert.deepEqual([...a.keys()].sort(), ['name', 'type', 'value']);
    assert.ok(html.includes('&#38;amp;'), '& is escaped too');
    assert.equal((html.match(/<title>/g) ?? []).length, 1);
  });

  test('the CSP allows exactly the inline style the page carries; nothing loads or runs, in any result', () => {
    for (const result of ['ok', 'waiting', 'refused', 'form'] as const) {
      const html = renderPage({ title: 't', result, message: 'm', fingerprint: V.ids[0].text, policy: 'open', ...(result === 'form' ? { form: { fingerprint: 'f', challenge: 'c', signature: 's' } } : {}) });
      const styles = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]!);
      assert.equal(styles.length, 1);
      const hash = createHash('sha256').update(styles[0]!).digest('base64');
      assert.ok(PAGE_CSP.includes(`style-src 'sha256-${hash}'`), 'the style’s hash is in the CSP');
      assert.doesNotMatch(html, /<script|<link|<iframe|\son[a-z]+=|style="/i);
      assert.match(html, /^<!doctype html>/);
      assert.match(html, /<meta charset="utf-8">/);
    }
    for (const directive of ["default-src 'none'", "form-action 'self'", "base-uri 'none'", "frame-ancestors 'none'"]) assert.ok(PAGE_CSP.includes(directive), directive);
    assert.doesNotMatch(PAGE_CSP, /unsafe|script-src|\*/);
  });
});

// ───────────────────────────── the free-tier hint ─────────────────────────────

describe('registration hint (hint.ts)', () => {
  test('names the server and the usage from the NK’s fields; "?" for an unknown use; nothing when the limit is unknown', () => {
    assert.equal(
      registrationHint('hgx.example.org:7770', 10 * MIB, 10 * MIB),
      'register on hgx.example.org:7770 to upload more (10 MiB of 10 MiB used): run "hypergolix config --register" or use Register in the app',
    );
    assert.match(registrationHint('h:1', 1536, 2048), /\(1\.5 KiB of 2 KiB used\)/);
    assert.match(registrationHint('h:1', undefined, 10 * MIB), /\(\? of 10 MiB used\)/);
    assert.doesNotMatch(registrationHint('h:1', 5, undefined), /used\)/);
  });

  test('nothing used yet (a first upload larger than the allowance) reads "0 bytes", not "0 GiB"', () => {
    // used is 0 when the very first object is over the free allowance; limit 0 is "unregistered_upload_bytes: 0".
    assert.match(registrationHint('h:7770', 0, 10 * MIB), /\(0 bytes of 10 MiB used\)/);
    assert.match(registrationHint('h:7770', 0, 0), /\(0 bytes of 0 bytes used\)/);
    assert.equal(roundBytes(0), '0 bytes');
  });

  test('roundBytes never shows 1024 of a unit: just under a MiB or a GiB rounds up to the next unit', () => {
    assert.equal(roundBytes(1023), '1023 bytes');
    assert.equal(roundBytes(1536), '1.5 KiB');
    assert.equal(roundBytes(MIB + 1), '1.0 MiB');
    for (const n of [MIB - 1, MIB - 50, 1024 ** 3 - 1, 1024 ** 3 - 40_000]) {
      const shown = roundBytes(n);
      const [value, unit] = shown.split(' ');
      assert.ok(unit === 'GiB' || Number(value) < 1024, `${n} bytes shown as "${shown}"`);
    }
  });
});
