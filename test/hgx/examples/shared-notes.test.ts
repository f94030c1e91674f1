// The shared-notes example (packages/hgx/examples/shared-notes), run as two users would: two
// processes of its terminal app, each against its own real daemon, both daemons on one real
// persistence server. A writes a note, shares it with B; B's app receives it; A's edit reaches
// B live; B cannot edit A's note.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
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
  const appA = JsonLinesApp.start(MAIN, ['--port', String(a.port), '--token-file', a.tokenFile], PKG);
  const appB = JsonLinesApp.start(MAIN, ['--port', String(b.port), '--token-file', b.tokenFile], PKG);
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

  const refused = await appB.send(`edit ${note.ghid} mine now`, 'error');
  assert.equal(refused.error, 'LocallyImmutable');
  const listB = await appB.send('list', 'list');
  assert.deepEqual((listB.notes as { text: string }[]).map((n) => n.text), ['groceries: milk, eggs']);
  assert.equal(await appA.quit(), 0);
  assert.equal(await appB.quit(), 0);
});
