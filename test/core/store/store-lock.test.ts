// One store per ghidcache (issue 18, item 9): the lock beside the directory refuses a second
// store — in this process or another — naming the holder and the config key to change, and a
// lock left by a SIGKILLed holder is taken over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { entryOf } from '../../../src/core/store/entry.js';
import { FileStore } from '../../../src/core/store/file-store.js';
import { v16Objects } from '../../fixtures/vectors.js';
import { lockHolder } from '../../fixtures/store/lock-holder.js';

const temps: string[] = [];
async function tempCache(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-lock-'));
  temps.push(dir);
  return join(dir, 'ghidcache');
}
test.after(() => Promise.all(temps.map((d) => rm(d, { recursive: true, force: true }))));

const SERVER = { role: 'server', configKey: 'server.ghidcache' };
const APP = { role: 'app', configKey: 'process.ghidcache' };

const holder = lockHolder;

test('a second store on one directory in this process is refused, naming the holder and the key; after close it opens', async () => {
  const dir = await tempCache();
  const server = new FileStore(dir, { lock: SERVER });
  await server.load();
  const lock = JSON.parse(await readFile(`${dir}.lock`, 'utf8')) as { pid: number; role: string; configKey: string };
  assert.deepEqual({ pid: lock.pid, role: lock.role, configKey: lock.configKey }, { pid: process.pid, ...SERVER });
  const app = new FileStore(dir, { lock: APP });
  await assert.rejects(app.load(), (err: Error) => {
    assert.equal(err.name, 'StoreLocked');
    assert.match(err.message, /in use by this process's server/);
    assert.match(err.message, /set process\.ghidcache to another directory/);
    return true;
  });
  await server.close();
  await assert.rejects(stat(`${dir}.lock`), { code: 'ENOENT' });
  await app.load();
  await app.close();
});

test("closing a store the lock refused touches nothing of the holder's: its journal, its index, its unwritten objects", async () => {
  const dir = await tempCache();
  // The holder, running: its objects in its journal, their files not written yet.
  const server = new FileStore(dir, { lock: SERVER, fileDelayMs: 600_000, maxFileDelayMs: 600_000 });
  await server.load();
  const objects = v16Objects().slice(0, 3);
  for (const o of objects) await server.put(entryOf(o.obj), o.raw);
  const before = (await readdir(dirname(dir))).sort();
  assert.ok(before.some((n) => n.includes('.journal.')), before.join(' '));
  const refused = new FileStore(dir, { lock: APP });
  await assert.rejects(refused.load(), { name: 'StoreLocked' });
  await refused.close();
  assert.deepEqual((await readdir(dirname(dir))).sort(), before, 'no journal removed, no index written');
  for (const o of objects) assert.deepEqual(await server.read(o.obj.ghid.text), o.raw);
  await server.close();
  const reopened = new FileStore(dir, { lock: SERVER });
  const { entries } = await reopened.load();
  for (const o of objects) assert.ok(entries.has(o.obj.ghid.text));
  await reopened.close();
});

test('another process holding the directory refuses this one with its pid and role; a SIGKILLed holder is taken over', async () => {
  const dir = await tempCache();
  const first = await holder(dir, APP);
  assert.equal(first.line, 'open');
  try {
    const second = await holder(dir, SERVER);
    assert.match(second.line, new RegExp(`^StoreLocked: .*in use by the app \\(pid ${first.child.pid}\\).*set server\\.ghidcache to another directory`));
    const here = new FileStore(dir, { lock: SERVER });
    await assert.rejects(here.load(), (err: Error) => err.name === 'StoreLocked' && err.message.includes(`pid ${first.child.pid}`));
  } finally {
    first.child.kill('SIGKILL');
    await new Promise((r) => (first.child.exitCode !== null || first.child.signalCode !== null ? r(null) : first.child.once('exit', r)));
  }
  // The lock file is still there, its holder dead: the next store takes it over.
  assert.ok((await stat(`${dir}.lock`)).isFile());
  const next = new FileStore(dir, { lock: SERVER });
  await next.load();
  const lock = JSON.parse(await readFile(`${dir}.lock`, 'utf8')) as { pid: number };
  assert.equal(lock.pid, process.pid);
  await next.close();
});
