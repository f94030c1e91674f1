import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, readdir, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ghid, Secret } from '../../../src/core/golix/index.js';
import { KeptHere } from '../../../src/core/account/kept-here.js';
import { MapJournal } from '../../../src/core/account/map-journal.js';
import { randomGhid } from '../../fixtures/ipc/fakes.js';

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
