// One store per ghidcache (issue 18, item 9): the lock beside the directory refuses a second
// store — in this process or another — naming the holder and the config key to change, and a
// lock left by a SIGKILLed holder is taken over.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { FileStore } from '../../../src/core/store/file-store.js';
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
