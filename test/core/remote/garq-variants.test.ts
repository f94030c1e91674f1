// A forged GARQ copy (its MAC bytes flipped: the MAC is outside the hashed bytes, so the GHID is
// the genuine one's) must not suppress the genuine copy: the server keeps each distinct variant,
// up to MAX_VARIANTS, pushes every one to the recipient, and the recipient keeps the one whose
// MAC verifies. Against a real server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Ghid, openRequest, parseObject, type Garq } from '../../../src/core/golix/index.js';
import { MAX_VARIANTS } from '../../../src/core/remote/garq-variants.js';
import { RulesEngine } from '../../../src/core/rules/rules-engine.js';
import { MemoryStore } from '../../../src/core/store/memory-store.js';
import { waitFor } from '../../fixtures/remote/helpers.js';
import { startServer } from '../../fixtures/remote/setup.js';
import { forgedCopy, requests } from '../../fixtures/server/objects.js';
import { v16Identity } from '../../fixtures/vectors.js';

const forge = forgedCopy;

test('a forged copy published first does not suppress the genuine one: both are kept and pushed, the recipient opens the genuine', async (t) => {
  const { engine } = await RulesEngine.open(new MemoryStore());
  const s = await startServer({ engine });
  t.after(() => s.stop());
  const sender = v16Identity(0);
  const recipient = v16Identity(1);
  const c = await s.client();
  await c.publish(sender.publicIdentity.gidc.raw);
  await c.publish(recipient.publicIdentity.gidc.raw);
  const genuine = requests(sender, recipient.publicIdentity, 1)[0]!;
  const forged = forge(genuine, 0);
  const ghid = parseObject(genuine).ghid;
  assert.ok(parseObject(forged).ghid.equals(ghid), 'the forgery has the same GHID');

  // A subscriber already listening hears both as they arrive.
  const live = await s.client();
  const heard: Buffer[] = [];
  live.on('notification', (_s: Ghid, raw: Buffer) => void heard.push(raw));
  await live.subscribe(recipient.ghid);

  assert.equal(await c.publish(forged), true, 'the forgery is stored first');
  assert.equal(await c.publish(genuine), true, 'the genuine copy is kept beside it, not "already stored"');
  assert.equal(await c.publish(genuine), false, 'the same bytes again: already stored');
  assert.equal(await c.publish(forged), false);
  assert.deepEqual(await c.get(ghid), forged, 'GT answers one object, the first stored (as the reference)');
  await waitFor(() => heard.length === 2, 5000, 'both copies pushed');

  // A recipient subscribing later gets every copy replayed, and keeps the one whose MAC verifies.
  const later = await s.client();
  const replayed: Buffer[] = [];
  later.on('notification', (_s: Ghid, raw: Buffer) => void replayed.push(raw));
  await later.subscribe(recipient.ghid);
  await waitFor(() => replayed.length === 2, 5000, 'both copies replayed on +S');
  const opened: Buffer[] = [];
  for (const raw of replayed) {
    const ok = await openRequest(parseObject(raw) as Garq, recipient, async () => sender.publicIdentity).then(
      () => true,
      () => false,
    );
    if (ok) opened.push(raw);
  }
  assert.deepEqual(opened, [genuine], 'only the genuine copy opens');
});

test(`at most ${MAX_VARIANTS} copies of one GARQ are kept, whoever floods it`, async (t) => {
  const { engine } = await RulesEngine.open(new MemoryStore());
  const s = await startServer({ engine });
  t.after(() => s.stop());
  const sender = v16Identity(0);
  const recipient = v16Identity(1);
  const c = await s.client();
  await c.publish(sender.publicIdentity.gidc.raw);
  await c.publish(recipient.publicIdentity.gidc.raw);
  const genuine = requests(sender, recipient.publicIdentity, 1)[0]!;
  const kept: boolean[] = [];
  for (let i = 0; i < 8; i++) kept.push(await c.publish(forge(genuine, i)));
  assert.deepEqual(kept, [true, true, true, true, false, false, false, false]);
  const sub = await s.client();
  const replayed: Buffer[] = [];
  sub.on('notification', (_s: Ghid, raw: Buffer) => void replayed.push(raw));
  await sub.subscribe(recipient.ghid);
  await waitFor(() => replayed.length === MAX_VARIANTS, 5000, 'the kept copies replayed');
});
