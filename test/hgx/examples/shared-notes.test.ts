// The shared-notes example (packages/hgx/examples/shared-notes), run as two users would: two
// processes of its terminal app, each against its own real daemon, both daemons on one real
// persistence server. A writes a note, shares it with B; B's app receives it; A's edit reaches
// B live; B cannot edit A's note.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { JsonLinesApp } from '../../fixtures/hgx/json-lines-app.js';
import { world } from '../../fixtures/ipc/world.js';

const PKG = resolve(import.meta.dirname, '../../../packages/hgx');
const MAIN = join(PKG, 'examples/shared-notes/main.mjs');
const built = existsSync(join(PKG, 'dist/index.js'));

test('two users share a note and see its edits live', { skip: built ? false : 'packages/hgx/dist is not built (npm test builds it first)' }, async (t) => {
  const w = await world();
  const [a, b] = [await w.user(0), await w.user(1)];
  // The example imports '@hypergolix/hgx' by name: inside the package, Node resolves it to the build.
  const stateA = mkdtempSync(join(tmpdir(), 'hgx-notes-a-'));
  const stateB = mkdtempSync(join(tmpdir(), 'hgx-notes-b-'));
  const startA = () => JsonLinesApp.start(MAIN, ['--port', String(a.port), '--token-file', a.tokenFile, '--state-dir', stateA], PKG);
  const startB = () => JsonLinesApp.start(MAIN, ['--port', String(b.port), '--token-file', b.tokenFile, '--state-dir', stateB], PKG);
  let appA = startA();
  let appB = startB();
  t.after(() => Promise.all([appA.quit(), appB.quit()]));
  assert.equal((await appA.next((e) => e.type === 'ready')).whoami, a.daemon.fingerprint.text);
  const bWho = (await appB.next((e) => e.type === 'ready')).whoami as string;
  assert.equal(bWho, b.daemon.fingerprint.text);

  const created = await appA.send('new groceries: milk', 'created');
  const note = created.note as { ghid: string; text: string; mine: boolean };
  assert.equal(note.text, 'groceries: milk');
  assert.equal(note.mine, true);

  await appA.send(`share ${note.ghid} ${bWho}`, 'sharing');
  const arrived = await appB.next((e) => e.type === 'arrived');
  assert.equal(arrived.from, a.daemon.fingerprint.text);
  assert.deepEqual({ ...(arrived.note as object), edited: undefined }, { ghid: note.ghid, text: 'groceries: milk', author: a.daemon.fingerprint.text, mine: false, edited: undefined });
  assert.equal((await appA.next((e) => e.type === 'shared')).with, bWho);

  await appA.send(`edit ${note.ghid} groceries: milk, eggs`, 'edited');
  const updated = await appB.next((e) => e.type === 'updated' && (e.note as { text: string }).text === 'groceries: milk, eggs');
  assert.equal((updated.note as { ghid: string }).ghid, note.ghid);

  // Synced, as the daemon's status tells it.
  assert.deepEqual(await appA.send('sync', 'sync'), { type: 'sync', online: true, waiting: 0 });

  const refused = await appB.send(`edit ${note.ghid} mine now`, 'error');
  assert.equal(refused.error, 'LocallyImmutable');
  const listB = await appB.send('list', 'list');
  assert.deepEqual((listB.notes as { text: string }[]).map((n) => n.text), ['groceries: milk, eggs']);
  assert.equal(await appA.quit(), 0);
  assert.equal(await appB.quit(), 0);

  // Restarted, each app opens its notes again (its token's startup object lists them): A the
  // note it wrote, B the one it accepted, and A's next edit still reaches B live.
  const [tokenFileA] = readdirSync(stateA);
  assert.equal(tokenFileA, `${a.daemon.fingerprint.text}.token`);
  assert.equal(statSync(join(stateA, tokenFileA!)).mode & 0o777, 0o600);
  appA = startA();
  appB = startB();
  await Promise.all([appA.next((e) => e.type === 'ready'), appB.next((e) => e.type === 'ready')]);
  const texts = async (app: JsonLinesApp) => ((await app.send('list', 'list')).notes as { text: string; ghid: string }[]).map((n) => [n.ghid, n.text]);
  assert.deepEqual(await texts(appA), [[note.ghid, 'groceries: milk, eggs']]);
  assert.deepEqual(await texts(appB), [[note.ghid, 'groceries: milk, eggs']]);
  await appA.send(`edit ${note.ghid} groceries: bread`, 'edited');
  await appB.next((e) => e.type === 'updated' && (e.note as { text: string }).text === 'groceries: bread');

  // A second run for the same account while one runs cannot have the token (one connection
  // each): it says so and works without keeping its notes.
  const second = startA();
  t.after(() => second.quit());
  const refusal = await second.next((e) => e.type === 'error');
  assert.match(refusal.message as string, /in use by another connection.*this run does not keep its notes$/);
  await second.next((e) => e.type === 'ready');
  assert.equal(await second.quit(), 0);

  // The server goes away: the app tells it, and that an edit made meanwhile waits for it.
  await w.server.close();
  await appA.next((e) => e.type === 'sync' && e.online === false);
  await appA.send(`edit ${note.ghid} groceries: offline`, 'edited');
  // Offline and waiting (an earlier 'sync' that caught the first edits on their way, online, may still be queued here).
  const waiting = await appA.next((e) => e.type === 'sync' && (e.waiting as number) > 0 && e.online === false);
  assert.deepEqual({ online: waiting.online, waiting: (waiting.waiting as number) > 0 }, { online: false, waiting: true });
});
