// The daemon's check of its local copy (cache-check.ts): object files damaged while it runs are
// found without anything reading them, put right from the remote, and told in its status; with
// the remote away they are listed as damaged, and put right once it is back. Real daemons, a real
// persistence server on 127.0.0.1, real files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { cp, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { checkLocalCopy } from '../../../src/core/daemon/local-copy.js';
import { Ghid } from '../../../src/core/golix/index.js';
import { RulesEngine } from '../../../src/core/rules/rules-engine.js';
import { FileStore } from '../../../src/core/store/file-store.js';
import { REFERENCE_ACCOUNTS } from '../../fixtures/legacy.js';
import { VECTORS } from '../../fixtures/vectors.js';
import { API_ID_RAW } from '../../../src/core/objects/hgxd.js';
import { AccountDaemons, synced } from '../../fixtures/daemon/account-daemons.js';
import { tempHome, until, world } from '../../fixtures/ipc/world.js';

async function objectFiles(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.ghid'))) {
    // Removed since the listing (a frame replaced by the next): not one of the files any more.
    const raw = await readFile(join(dir, name)).catch((err: NodeJS.ErrnoException) => (err.code === 'ENOENT' ? null : Promise.reject(err)));
    if (raw) files.set(name, raw);
  }
  return files;
}

/** Flips a byte in the middle of every object file of the cache; the files as they were. */
async function damageAll(dir: string): Promise<Map<string, Buffer>> {
  const files = await objectFiles(dir);
  for (const [name, raw] of files) {
    const copy = Buffer.from(raw);
    copy[copy.length >> 1]! ^= 0x5a;
    await writeFile(join(dir, name), copy);
  }
  return files;
}

/** Each file holds its object's bytes again (written behind the journal's commit, as every file). */
async function assertSameFiles(dir: string, before: Map<string, Buffer>): Promise<void> {
  const wrong = async () => [...(await objectFiles(dir))].filter(([name, raw]) => before.has(name) && !before.get(name)!.equals(raw)).map(([name]) => name);
  await until(async () => (await wrong()).length === 0 || null, 'every file to hold its object again', 10_000).catch(async () => assert.deepEqual(await wrong(), []));
}

async function runningAccount(t: { after(fn: () => unknown): void }, o: { infos?: string[]; firstAfterMs?: number } = {}) {
  const w = await world();
  const daemons = new AccountDaemons(t);
  const home = await tempHome('hgx-cache-check-');
  const daemon = await daemons.start(home, w.serverPort, { create: 'a password 1' }, { infos: o.infos, cacheCheck: { firstAfterMs: o.firstAfterMs ?? 3_600_000 } });
  await daemon.create(API_ID_RAW, Buffer.from('kept on the server'));
  // The account's maps written now, not a second after the write: a map written after the files
  // are damaged replaces two of them, and the counts the tests compare change under them.
  await daemon.account.flush();
  await until(() => synced(daemon) || null, 'everything to be uploaded', 10_000);
  const dir = join(home, 'ghidcache');
  // Files follow the journal's commits (FileStore's fileDelayMs): damage is done to files.
  await until(async () => (await objectFiles(dir)).size === daemon.engine.stats().objects || null, 'every object to have its file', 10_000);
  return { w, daemons, daemon, dir, home };
}

test('a check asked for reads every object, puts each damaged file right from the remote, and tells what it did', async (t) => {
  const infos: string[] = [];
  const { daemon, dir } = await runningAccount(t, { infos });
  assert.deepEqual(daemon.status().cacheCheck, { lastCheckedAt: null, running: false, checked: 0, putRight: 0, givenToRemotes: 0, damaged: [], damagedCount: 0 });

  const clean = await daemon.checkCache();
  assert.equal(clean.checked, daemon.engine.stats().objects, 'every object stored is read');
  assert.equal(clean.putRight, 0);
  assert.equal(clean.damagedCount, 0);
  assert.ok(clean.lastCheckedAt !== null && clean.lastCheckedAt <= Date.now());

  const before = await damageAll(dir);
  assert.ok(before.size > 3);
  const report = await daemon.checkCache();
  assert.equal(report.putRight, before.size, 'each damaged file is put right');
  assert.deepEqual([report.damagedCount, report.damaged], [0, []]);
  await assertSameFiles(dir, before);
  assert.ok(infos.some((m) => m.includes(`${before.size} damaged, ${before.size} put right`)), infos.join(' | '));
  assert.deepEqual(daemon.status().cacheCheck, report);
});

test('with the remote away, damaged files are listed and left as they are; once it is back they are put right without another check', async (t) => {
  const { w, daemon, dir } = await runningAccount(t);
  await w.server.close();
  await until(() => daemon.network.status().every((r) => !r.connected) || null, 'the remote to be away');
  const before = await damageAll(dir);
  const damagedBytes = await objectFiles(dir);

  const report = await daemon.checkCache();
  assert.equal(report.damagedCount, before.size, 'every damaged file is told');
  assert.equal(report.damaged.length, before.size);
  assert.equal(report.putRight, 0);
  for (const [name, raw] of damagedBytes) assert.ok((await readFile(join(dir, name))).equals(raw), `${name} is left as it was for a remote to put right`);

  const told: number[] = [];
  daemon.on('cache-check', () => told.push(daemon.status().cacheCheck.damagedCount));
  await w.restartServer();
  await until(() => daemon.status().cacheCheck.damagedCount === 0 || null, 'the damaged files to be put right once the remote is back', 15_000);
  assert.equal(daemon.status().cacheCheck.putRight, before.size);
  assert.ok(told.includes(0), 'the status was told of the change');
  await assertSameFiles(dir, before);
});

test('the check runs by itself a while after the start, and puts right what nothing read', async (t) => {
  const { w, daemons, daemon, dir, home } = await runningAccount(t);
  const login = { userId: daemon.userId, password: 'a password 1' };
  await daemons.stop(daemon);
  const before = await damageAll(dir);
  // The start reads (and puts right) the account's objects; the app's object nobody opens.
  const again = await daemons.start(home, w.serverPort, login, { cacheCheck: { firstAfterMs: 300 } });
  await until(() => again.status().cacheCheck.lastCheckedAt !== null || null, 'the first check', 15_000);
  const report = again.status().cacheCheck;
  assert.ok(report.putRight >= 2, `the app object's container and frame at least: ${JSON.stringify(report)}`);
  assert.equal(report.damagedCount, 0);
  assert.equal(report.checked, again.engine.stats().objects);
  await assertSameFiles(dir, before);
});

test('checks asked for side by side run once, and one asked for after the stop ends at once', async (t) => {
  const { daemon } = await runningAccount(t);
  const [a, b] = await Promise.all([daemon.checkCache(), daemon.checkCache()]);
  assert.deepEqual(a, b);
  assert.equal(a.running, false);
  await daemon.stop();
  const after = await daemon.checkCache();
  assert.equal(after.checked, a.checked, 'a stopped daemon reads nothing and keeps its last report');
});

test("every object in the Python reference's caches (its accounts of 2016 and of today, its server's) checks as sound: the check takes no good object for damage", async (t) => {
  const caches = [
    ...['alice', 'bob', 'server'].map((who) => join(REFERENCE_ACCOUNTS, who, 'ghidcache')),
    ...['hgx_save_a', 'hgx_save_b'].map((save) => join(VECTORS, 'py-hypergolix-2016', save)),
  ];
  for (const cache of caches) {
    const dir = await mkdtemp(join(tmpdir(), 'hgx-check-ref-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    await cp(cache, join(dir, 'ghidcache'), { recursive: true });
    const { engine } = await RulesEngine.open(new FileStore(join(dir, 'ghidcache')), { acceptV15: true });
    try {
      const ghids = engine.storedGhids();
      assert.ok(ghids.length > 30, cache);
      for (const g of ghids) {
        const copy = await checkLocalCopy(engine, Ghid.fromText(g));
        assert.equal(copy.kind, 'ok', `${cache}: ${g} ${copy.kind === 'damaged' ? copy.why : ''}`);
      }
    } finally {
      await engine.close();
    }
  }
});
