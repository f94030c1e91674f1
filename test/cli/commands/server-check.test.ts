// `hypergolix server check`: a stopped server's file store read whole, its damaged objects listed
// (bytes cut, a frame whose signature no longer verifies), in words and JSON, with the exit status
// saying so; a running server (a real `start server --foreground` process) asked to check now and
// followed to its answer; a database shared by server nodes checked from here while a node runs
// on it, which answers what the check marked as not here; refused for a running server that cannot
// be asked, a database out of reach, and without a store. Real stores written by real servers
// (a real PostgreSQL), through main() in this process.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { acquirePidFile, readPidFile } from '../../../src/core/process/index.js';
import { RemoteClient } from '../../../src/core/remote/client.js';
import { PersistenceServer } from '../../../src/core/remote/server.js';
import { RulesEngine } from '../../../src/core/rules/rules-engine.js';
import { FileStore } from '../../../src/core/store/file-store.js';
import { StoreCheckFile, readStoreCheckFile } from '../../../src/core/remote/store-check-file.js';
import { runMain } from '../../fixtures/cli/in-process.js';
import { httpGet, serverHome, startForeground, until, type ServerHome } from '../../fixtures/server/helpers.js';
import { v16Objects } from '../../fixtures/vectors.js';
import { POSTGRES_SKIP, startPostgres } from '../../fixtures/postgres.js';
import { openPool } from '../../../src/core/postgres/connect.js';
import { PostgresEngine } from '../../../src/core/postgres/engine.js';

const v16 = v16Objects();
const frame = v16.find((o) => o.obj.type === 'GOBD' && o.entry.counter === 0)!;
const container = v16.find((o) => o.obj.type === 'GEOC' && o.entry.chain_counter === 0)!;

/** A server home whose store holds the identities, a frame and its container, written by a real server, then stopped. */
async function storedHome() {
  const home = await serverHome();
  const { engine } = await RulesEngine.open(new FileStore(home.config.server.ghidcache));
  const server = new PersistenceServer({ engine, host: '127.0.0.1', port: 0, storeCheck: false });
  const { port } = await server.listen();
  const client = new RemoteClient({ host: '127.0.0.1', port });
  client.start();
  await client.whenConnected(5000);
  for (const o of [...v16.filter((x) => x.obj.type === 'GIDC'), frame, container]) await client.publish(o.raw);
  await client.close();
  await server.close();
  await engine.close();
  return home;
}

/** The container cut short, the frame's last signature byte flipped (its GHID does not cover it). */
function damage(home: ServerHome): void {
  const file = (ghid: string) => join(home.config.server.ghidcache, `${ghid}.ghid`);
  writeFileSync(file(container.obj.ghid.text), readFileSync(file(container.obj.ghid.text)).subarray(0, 200));
  const flipped = readFileSync(file(frame.obj.ghid.text));
  flipped[flipped.length - 1]! ^= 0x55;
  writeFileSync(file(frame.obj.ghid.text), flipped);
}

test('server check: all sound, then a cut container and a frame with a bad signature listed, in words and JSON (exit 1)', async () => {
  const home = await storedHome();
  const sound = await runMain(home.dir, 'server', 'check');
  assert.equal(sound.code, 0, sound.err);
  assert.equal(sound.out, 'Checked 5 objects: all sound.');

  damage(home);
  const told = await runMain(home.dir, 'server', 'check');
  assert.equal(told.code, 1);
  const lines = told.out.split('\n');
  assert.equal(lines[0], 'Checked 5 objects: 2 DAMAGED.');
  assert.ok(lines.some((l) => l.startsWith(`  ${container.obj.ghid.text}  object: truncated`)), told.out);
  assert.ok(lines.includes(`  ${frame.obj.ghid.text}  its signature does not verify`), told.out);
  assert.match(lines.at(-1)!, /^Started again, the server answers these as not here; a daemon that holds one sends it again/);

  const json = await runMain(home.dir, 'server', 'check', '--json');
  assert.equal(json.code, 1);
  const parsed = JSON.parse(json.out) as { checked: number; damaged: { ghid: string; why: string }[] };
  assert.equal(parsed.checked, 5);
  assert.deepEqual(parsed.damaged.map((d) => d.ghid).sort(), [container.obj.ghid.text, frame.obj.ghid.text].sort());
});

test('server check asks a running server to check now (a request file, any platform) and tells what it found; the server goes on serving', async (t) => {
  const home = await storedHome();
  const request = join(home.config.server.logdir, 'store-check.request');
  // Left by an earlier run (asked as it stopped): the server takes it away as it starts.
  mkdirSync(home.config.server.logdir, { recursive: true });
  writeFileSync(request, '{}\n');
  const server = startForeground(home, t);
  await server.ready();
  const said = readPidFile(home.config.server.pid_file)?.info?.storeCheck as Record<string, unknown>;
  assert.equal(said.request, request, 'the pid file says how it is asked');
  assert.equal(existsSync(request), false, "an earlier run's request gone at the start");
  const sound = await runMain(home.dir, 'server', 'check');
  assert.equal(sound.code, 0, `${sound.err}\n${server.output()}`);
  assert.equal(sound.out, 'Checked 5 objects: all sound.');
  assert.match(sound.err, new RegExp(`^Asked the running server \\(pid ${server.pid}\\) to check its store; it checks in the background`));
  // Its log as the terminal relays it (a pipe: read here in its own time).
  await until(() => /Store check: 5 objects read, 0 damaged/.test(server.output()), 'the check logged by the server');
  assert.match(server.output(), /A check of the store was asked for \(hypergolix server check\)/);
  assert.equal(existsSync(request), false, 'the request taken away');

  damage(home);
  const told = await runMain(home.dir, 'server', 'check', '--json');
  assert.equal(told.code, 1, told.err);
  assert.equal(told.err, '', '--json says nothing but its answer');
  const parsed = JSON.parse(told.out) as { checked: number; damaged: { ghid: string; why: string }[] };
  assert.equal(parsed.checked, 5);
  assert.deepEqual(parsed.damaged.map((d) => d.ghid).sort(), [container.obj.ghid.text, frame.obj.ghid.text].sort());
  assert.ok(parsed.damaged.some((d) => d.ghid === frame.obj.ghid.text && d.why === 'its signature does not verify'), told.out);
  const words = await runMain(home.dir, 'server', 'check');
  assert.equal(words.code, 1);
  assert.match(words.out, /^Checked 5 objects: 2 DAMAGED\.\n[\s\S]*\nThe server answers these as not here; a daemon that holds one sends it again/);

  // Still serving, and what the check found is what it answers.
  const health = await httpGet(home.port, '/healthz');
  assert.deepEqual(JSON.parse(health.body), { status: 'ok', damagedObjects: 2 });
  const state = await readStoreCheckFile(join(home.config.server.logdir, 'store-check.json'));
  assert.equal(state?.pid, server.pid);
  assert.equal(state?.running, null);
  assert.equal(state?.last?.damaged.length, 2);
  server.child.kill('SIGTERM');
  assert.equal((await server.exited).code, 0, server.output());
});

test('a server of 0.4, which says it takes the signal and no request file, is asked by the signal', { skip: process.platform === 'win32' && 'no user signals on Windows' }, async () => {
  const home = await storedHome();
  const file = join(home.config.server.logdir, 'store-check.json');
  // This process stands for that server: it answers the signal as 0.4 did, through its state file.
  const lock = acquirePidFile(home.config.server.pid_file, { info: { port: home.port, storeCheck: { signal: 'SIGUSR2', file } } });
  const state = new StoreCheckFile(file, { error() {}, warn() {}, info() {}, debug() {} });
  let signalled = 0;
  const answer = () => {
    signalled++;
    const at = new Date().toISOString();
    state.write({ pid: process.pid, running: null, last: { startedAt: at, finishedAt: at, checked: 5, damaged: [], damagedCount: 0 }, lastFailure: null }, true);
  };
  process.on('SIGUSR2', answer);
  try {
    const r = await runMain(home.dir, 'server', 'check');
    assert.equal(r.code, 0, r.err);
    assert.equal(r.out, 'Checked 5 objects: all sound.');
    assert.equal(signalled, 1);
    assert.equal(existsSync(join(home.config.server.logdir, 'store-check.request')), false, 'no request file written for it');
  } finally {
    process.off('SIGUSR2', answer);
    lock.release();
  }
});

test('server check refuses a running server, a database out of reach, a missing store and bad arguments, each in words', async () => {
  const home = await storedHome();
  const lock = acquirePidFile(home.config.server.pid_file, { info: { port: home.port } });
  try {
    const r = await runMain(home.dir, 'server', 'check');
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`The server runs \\(pid ${process.pid}\\), of an earlier version, which cannot be asked to check now\\. It checks its store 10 minutes after it starts and then every 24 hours, .* Stop it to check now\\.`));
  } finally {
    lock.release();
  }
  // Open without this configuration's pid file (the desktop app's embedded server): said so, and where to check it.
  const { engine } = await RulesEngine.open(new FileStore(home.config.server.ghidcache, { lock: { role: 'server', configKey: 'server.ghidcache' } }));
  try {
    const r = await runMain(home.dir, 'server', 'check');
    assert.equal(r.code, 1);
    assert.match(r.err, new RegExp(`The store .* is open in another process \\(pid ${process.pid}, a server\\), not started from this configuration: the desktop app's embedded server checks it from its Status page`));
    assert.doesNotMatch(r.err, /unexpected error|\n\s+at /, 'no stack');
  } finally {
    await engine.close();
  }
  // Nothing listens on port 1: the database cannot be reached.
  const pg = await serverHome({ store: 'postgres', postgres: 'postgres://hgx@127.0.0.1:1/none' });
  const onPg = await runMain(pg.dir, 'server', 'check');
  assert.equal(onPg.code, 1);
  assert.match(onPg.err, /Cannot use the database postgres:\/\/hgx@127\.0\.0\.1:1\/none: .*\(server\.postgres\)/);
  assert.doesNotMatch(onPg.err, /\n\s+at /, 'no stack');
  const empty = await serverHome();
  const none = await runMain(empty.dir, 'server', 'check');
  assert.equal(none.code, 1);
  assert.match(none.err, /No server store at .*: nothing to check/);
  for (const args of [['--bogus'], ['extra']]) {
    const bad = await runMain(home.dir, 'server', 'check', ...args);
    assert.equal(bad.code, 2, args.join(' '));
    assert.match(bad.err, /Usage: hypergolix server check/);
  }
  const help = await runMain(home.dir, 'server', 'check', '--help');
  assert.equal(help.code, 0);
  assert.match(help.out, /Usage: hypergolix server check \[--json\] \[--root PATH\]/);
});

test('server check reads a database whole while a node serves it: what it marks, the node answers as not here, and a publish puts right', { skip: POSTGRES_SKIP }, async (t) => {
  const cluster = startPostgres();
  const url = await cluster.database();
  const home = await serverHome({ store: 'postgres', postgres: JSON.stringify(url) });
  const server = startForeground(home, t);
  await server.ready();
  const client = new RemoteClient({ host: '127.0.0.1', port: home.port });
  t.after(() => client.close());
  client.start();
  await client.whenConnected(5000);
  for (const o of [...v16.filter((x) => x.obj.type === 'GIDC'), frame, container]) await client.publish(o.raw);
  const sound = await runMain(home.dir, 'server', 'check');
  assert.equal(sound.code, 0, sound.err);
  assert.equal(sound.out, 'Checked 5 objects: all sound.');
  assert.match(sound.err, /^Checking the database /);

  const sql = await openPool({ url, poolSize: 1 });
  sql.on('error', () => {});
  // Last added, so run last (node:test runs a test's after hooks in the order they were added): the server and the pool first.
  t.after(async () => {
    await sql.end();
    cluster.destroy();
  });
  await sql.query('UPDATE objects SET raw = substring(raw from 1 for 200) WHERE ghid = $1', [container.obj.ghid.text]);
  const told = await runMain(home.dir, 'server', 'check', '--json');
  assert.equal(told.code, 1, told.err);
  assert.equal(told.err, '', '--json says nothing but its answer');
  const parsed = JSON.parse(told.out) as { checked: number; damaged: { ghid: string; why: string }[] };
  assert.equal(parsed.checked, 5);
  assert.deepEqual(parsed.damaged.map((d) => d.ghid), [container.obj.ghid.text]);
  assert.match(parsed.damaged[0]!.why, /^object: truncated/);
  assert.equal(await client.exists(container.obj.ghid), false, 'the running node answers it as not here');
  const words = await runMain(home.dir, 'server', 'check');
  assert.match(words.out, /^Checked 5 objects: 1 DAMAGED\.\n {2}\S+ {2}object: truncated[^\n]*\nEvery server node on it answers these as not here; a daemon that holds one sends it again/);

  await client.publish(container.raw);
  assert.deepEqual(await client.get(container.obj.ghid), container.raw);
  // A node's check going on (its turn held here): one check at a time, said in words.
  const { engine } = await PostgresEngine.open({ url });
  const turn = await engine.checkTurn({});
  try {
    const busy = await runMain(home.dir, 'server', 'check');
    assert.equal(busy.code, 1);
    assert.match(busy.err, /The database could not be checked: another server node is checking this database now/);
    assert.doesNotMatch(busy.err, /\n\s+at /, 'no stack');
  } finally {
    if (!('refused' in turn)) await turn.end(null);
    await engine.close();
  }
  const again = await runMain(home.dir, 'server', 'check');
  assert.equal(again.code, 0, again.err);
  assert.equal(again.out, 'Checked 5 objects: all sound.');
});
