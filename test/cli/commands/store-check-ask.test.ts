// How a running server is asked to check its store (cli/commands/store-check-ask.ts): what its
// pid file says decides how (a request file on any platform, the signal for a server of 0.4),
// and the server's side of the request file, with a stand-in for the server's check.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from '../../../src/core/log/index.js';
import type { PersistenceServer } from '../../../src/core/remote/server.js';
import { answerStoreCheckRequests, askStoreCheck, storeCheckAskOf, storeCheckLockInfo, storeCheckRequestOf } from '../../../src/cli/commands/store-check-ask.js';
import { until } from '../../fixtures/wait.js';

const file = '/var/log/hypergolix/store-check.json';
const request = '/var/log/hypergolix/store-check.request';

test("what a server's pid file says decides how it is asked; a server that says neither cannot be", () => {
  assert.equal(storeCheckRequestOf(file), request);
  const said = storeCheckLockInfo(file) as { storeCheck: Record<string, unknown> };
  assert.equal(said.storeCheck.request, request);
  assert.equal(said.storeCheck.file, file);
  assert.deepEqual(storeCheckAskOf(said), { file, by: 'request', request }, 'the request file first, whatever the platform');
  const of04 = { storeCheck: { signal: 'SIGUSR2', file } };
  assert.deepEqual(storeCheckAskOf(of04), process.platform === 'win32' ? null : { file, by: 'signal' });
  for (const info of [null, undefined, {}, { storeCheck: 'yes' }, { storeCheck: { request } }, { storeCheck: { file: '', request } }, { storeCheck: { file, signal: 'SIGTERM' } }, { storeCheck: { file: 7, request } }]) {
    assert.equal(storeCheckAskOf(info as never), null, JSON.stringify(info));
  }
});

function standIn(o: { ready: boolean; applies?: boolean }) {
  const lines: string[] = [];
  const log = { info: (m: string) => lines.push(`info ${m}`), warn: (m: string) => lines.push(`warn ${m}`) } as unknown as Logger;
  let runs = 0;
  const server = { storeCheck: { applies: o.applies ?? true, run: async () => (runs++, { checked: 0, damaged: 0 }) } } as unknown as PersistenceServer;
  return { lines, log, server: () => (o.ready ? server : null), runs: () => runs, o };
}

test('the server takes a request away as it starts the check; one left from an earlier run goes at the start; before it is ready, a request waits', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hgx-ask-'));
  const req = join(dir, 'store-check.request');
  writeFileSync(req, '{}');
  const s = standIn({ ready: false });
  const stop = answerStoreCheckRequests(req, s.server, s.log, 10);
  t.after(stop);
  assert.equal(existsSync(req), false, "an earlier run's request is not taken for a new one");

  await askStoreCheck(process.pid, { file: join(dir, 'store-check.json'), by: 'request', request: req });
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(existsSync(req), true, 'waits for the server to be ready');
  assert.equal(s.runs(), 0);
  s.o.ready = true;
  await until(() => s.runs() === 1 || null, 'the check started');
  assert.equal(existsSync(req), false, 'taken away');
  assert.ok(s.lines.includes('info A check of the store was asked for (hypergolix server check)'), s.lines.join(' | '));
  await new Promise((r) => setTimeout(r, 60));
  assert.equal(s.runs(), 1, 'one request, one check');
});

test('a request to a store that cannot be checked is said so in the log; a log directory that is gone asks nothing', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hgx-ask-'));
  const req = join(dir, 'store-check.request');
  const s = standIn({ ready: true, applies: false });
  const stop = answerStoreCheckRequests(req, s.server, s.log, 10);
  t.after(stop);
  writeFileSync(req, '{}');
  await until(() => s.lines.includes('warn A check of the store was asked for, but this store cannot be checked') || null, 'said');
  assert.equal(s.runs(), 0);
  const gone = standIn({ ready: true });
  const stopGone = answerStoreCheckRequests(join(dir, 'no', 'such', 'store-check.request'), gone.server, gone.log, 10);
  await new Promise((r) => setTimeout(r, 60));
  stopGone();
  assert.equal(gone.runs(), 0);
  assert.deepEqual(gone.lines, []);
});

test('something at the request path that cannot be taken away (a directory) is said once, however long it stays; the watching goes on', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hgx-ask-'));
  const req = join(dir, 'store-check.request');
  mkdirSync(req);
  const s = standIn({ ready: true });
  (s.log as unknown as { debug: (m: string) => void }).debug = (m) => s.lines.push(`debug ${m}`);
  const stop = answerStoreCheckRequests(req, s.server, s.log, 10);
  t.after(stop);
  await new Promise((r) => setTimeout(r, 120));
  assert.equal(s.lines.filter((l) => l.startsWith('warn A request to check the store')).length, 1, s.lines.join(' | '));
  assert.equal(s.runs(), 0);
  rmdirSync(req);
  writeFileSync(req, '{}');
  await until(() => s.runs() === 1 || null, 'a request taken once the path is free');
});

test('a request that cannot be written (another user’s log directory, or no such place) is refused with its code, for the CLI to say', async () => {
  await assert.rejects(askStoreCheck(process.pid, { file: '/proc/x.json', by: 'request', request: '/proc/store-check.request' }), (err: NodeJS.ErrnoException) => typeof err.code === 'string');
});
