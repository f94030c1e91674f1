import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ghid, Secret } from '../../../src/core/golix/index.js';
import { KeptHere } from '../../../src/core/account/kept-here.js';
import { MapJournal } from '../../../src/core/account/map-journal.js';
import { randomGhid } from '../../fixtures/ipc/fakes.js';
import { mountSmallDisk } from '../../fixtures/server/small-disk.js';

const dirs: string[] = [];
test.after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
const secrets = { ghid: Ghid.fromDigest(Buffer.alloc(64, 5)), master: Secret.random() };

async function place() {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-here-'));
  dirs.push(dir);
  const warnings: string[] = [];
  return { dir, warnings, open: (m = secrets) => KeptHere.open(dir, m, (w) => warnings.push(w)) };
}

test('what is kept here comes back in a new process, sealed in its own file beside the journals', async () => {
  const p = await place();
  const here = await p.open();
  const [one, two] = [randomGhid(), randomGhid()];
  const kept = { container: randomGhid(), secret: Secret.random() };
  here.set(one, kept);
  here.set(two, { container: randomGhid(), secret: Secret.random() });
  here.set(two, null);
  await here.close();
  assert.deepEqual(await readdir(p.dir), [`${secrets.ghid.text}.here`]);
  const bytes = await readFile(join(p.dir, `${secrets.ghid.text}.here`));
  assert.ok(!bytes.includes(kept.secret.text) && !bytes.includes(kept.container.text), 'nothing in plain text');
  if (process.platform !== 'win32') assert.equal((await stat(join(p.dir, `${secrets.ghid.text}.here`))).mode & 0o777, 0o600);
  const again = await p.open();
  assert.equal(again.get(one)?.secret.text, kept.secret.text);
  assert.equal(again.get(one)?.container.text, kept.container.text);
  assert.equal(again.get(two), null, 'gone with its object');
  await again.close();
  assert.deepEqual(p.warnings, []);
});

test('the same version said again writes nothing; a write after the close is dropped, not an error', async () => {
  const p = await place();
  const here = await p.open();
  const dyn = randomGhid();
  const kept = { container: randomGhid(), secret: Secret.random() };
  here.set(dyn, kept);
  await here.close();
  const path = join(p.dir, `${secrets.ghid.text}.here`);
  const size = (await stat(path)).size;
  const again = await p.open();
  const reopened = (await stat(path)).size;
  again.set(dyn, { container: kept.container, secret: kept.secret });
  await again.close();
  assert.equal((await stat(path)).size, reopened, 'nothing appended');
  again.set(randomGhid(), { container: randomGhid(), secret: Secret.random() });
  assert.ok(size > 0);
  assert.deepEqual(p.warnings, []);
});

test('values that are not a kept version are left out; another master secret cannot read the file, which is moved aside', async () => {
  const p = await place();
  // Written as another version of this code might have: the journal format, odd values.
  const { journal } = await MapJournal.open({ path: join(p.dir, `${secrets.ghid.text}.here`), master: secrets.master, map: secrets.ghid, warn: () => {} });
  const good = randomGhid();
  journal.record(`h:${good.text}`, [1, 'here', { c: randomGhid().text, s: Secret.random().text }]);
  journal.record(`h:${randomGhid().text}`, [2, 'here', { c: 'not a ghid', s: 'nor a secret' }]);
  journal.record(`h:${randomGhid().text}`, [3, 'here', 'a string']);
  journal.record(`d:${randomGhid().text}`, [4, 'here', { c: randomGhid().text, s: Secret.random().text }]);
  await journal.close();
  const here = await p.open();
  assert.ok(here.get(good));
  await here.close();
  const other = await p.open({ ...secrets, master: Secret.random() });
  assert.equal(other.get(good), null);
  await other.close();
  assert.equal(p.warnings.length, 1);
  assert.match(p.warnings[0]!, /moved to/);
});

const version = () => ({ container: randomGhid(), secret: Secret.random() });
const hereFile = (dir: string) => join(dir, `${secrets.ghid.text}.here`);

test('a start reads the file as it is, appends to it, and rewrites it only once it holds as much again as the versions kept', async () => {
  const p = await place();
  const dyns = Array.from({ length: 400 }, () => randomGhid());
  const latest = new Map<string, ReturnType<typeof version>>();
  const round = async () => {
    const here = await p.open();
    const opened = (await stat(hereFile(p.dir))).size;
    for (const dyn of dyns) {
      const v = version();
      latest.set(dyn.text, v);
      here.set(dyn, v);
    }
    await here.close();
    return { opened, closed: (await stat(hereFile(p.dir))).size };
  };
  const first = await round();
  const second = await round();
  assert.equal(second.opened, first.closed, 'not rewritten at the start');
  assert.ok(second.closed > first.closed * 1.9, `one record appended: ${first.closed} → ${second.closed}`);
  // Twice what it holds now: the next start rewrites it as one record of the latest versions.
  const third = await round();
  assert.ok(third.opened < first.closed * 1.1, `rewritten at the start: ${second.closed} → ${third.opened}`);
  assert.ok(third.opened < dyns.length * 200, `${third.opened} bytes for ${dyns.length} objects: under 200 each`);
  const again = await p.open();
  for (const dyn of dyns) assert.equal(again.get(dyn)?.secret.text, latest.get(dyn.text)!.secret.text);
  await again.close();
  assert.deepEqual(p.warnings, []);
});

test('secured, what was set is on disk at once, as a crash would find it (no close, no timer)', async () => {
  const p = await place();
  const here = await p.open();
  const [one, two] = [randomGhid(), randomGhid()];
  const kept = version();
  here.set(one, kept);
  await here.secure();
  here.set(two, version());
  await here.secure();
  await here.secure(); // nothing new: waits for nothing, writes nothing
  const size = (await stat(hereFile(p.dir))).size;
  // Read by another opener while this one still runs, as a start after a crash reads it.
  const crashed = await p.open();
  assert.equal(crashed.get(one)?.secret.text, kept.secret.text);
  assert.ok(crashed.get(two));
  assert.equal((await stat(hereFile(p.dir))).size, size, 'read whole: not rewritten');
  await crashed.close();
  await here.close();
  await here.secure(); // after the close: nothing to do, no error
  assert.deepEqual(p.warnings, []);
});

test('a torn last write is left out, said once, and the file written anew', async () => {
  const p = await place();
  const here = await p.open();
  const kept = version();
  const dyn = randomGhid();
  here.set(dyn, kept);
  await here.close();
  const whole = await readFile(hereFile(p.dir));
  const later = await p.open();
  const torn = randomGhid();
  later.set(torn, version());
  await later.close();
  const grown = await readFile(hereFile(p.dir));
  await writeFile(hereFile(p.dir), grown.subarray(0, grown.length - 7));
  const reopened = await p.open();
  assert.equal(reopened.get(dyn)?.secret.text, kept.secret.text);
  assert.equal(reopened.get(torn), null, 'the torn record is left out');
  await reopened.close();
  assert.equal(p.warnings.length, 1);
  assert.match(p.warnings[0]!, /damaged tail of \d+ bytes/);
  assert.ok((await readFile(hereFile(p.dir))).length <= whole.length, 'written anew');
  await (await p.open()).close();
  assert.equal(p.warnings.length, 1, 'nothing more to say at the next start');
});

test('on a full disk a write fails once with a warning, and the next one, with room again, writes everything', async (t) => {
  const disk = mountSmallDisk(2 * 1024 * 1024);
  if (typeof disk === 'string') return t.skip(disk);
  t.after(() => disk.unmount());
  const warnings: string[] = [];
  const open = () => KeptHere.open(disk.dir, secrets, (w) => warnings.push(w));
  // Writes of 40 objects (~7 KiB): more than the page a full tmpfs may still have.
  const some = () => new Map(Array.from({ length: 40 }, () => [randomGhid(), version()] as const));
  const setAll = (here: KeptHere, versions: Map<Ghid, ReturnType<typeof version>>) => versions.forEach((v, dyn) => here.set(dyn, v));
  const [first, second] = [some(), some()];
  const here = await open();
  disk.fill();
  setAll(here, first);
  // The write a second later fails: said once, and what it held stays for the next.
  await new Promise((r) => setTimeout(r, 1_300));
  assert.equal(warnings.length, 1);
  assert.match(warnings[0]!, /versions kept here could not be written: .*ENOSPC/);
  disk.free();
  setAll(here, second);
  await here.close();
  const again = await open();
  for (const [dyn, v] of [...first, ...second]) assert.equal(again.get(dyn)?.secret.text, v.secret.text);
  // A close on a full disk says so too; what it could not write is lost with the process (the account's record is the durable one).
  setAll(again, some());
  disk.fill();
  await again.close();
  assert.equal(warnings.length, 2, warnings.join('\n'));
  disk.free();
  const last = await open();
  for (const [dyn, v] of [...first, ...second]) assert.equal(last.get(dyn)?.secret.text, v.secret.text);
  await last.close();
  assert.equal(warnings.length, 2, warnings.join('\n'));
});
