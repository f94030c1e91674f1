// A forged GARQ copy published before the genuine one must not be all that survives a restart:
// the genuine variant is in `<ghidcache>.garq-variants` before its publish is answered, so a real
// server process stopped (SIGTERM or SIGKILL) and started again still replays both to the
// recipient, who opens the genuine one.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { openRequest, parseObject, type Garq, type Ghid } from '../../src/core/golix/index.js';
import { connectClient, serverHome, startForeground, until } from '../fixtures/server/helpers.js';
import { forgedCopy, requests } from '../fixtures/server/objects.js';
import { v16Identity } from '../fixtures/vectors.js';


for (const signal of ['SIGTERM', 'SIGKILL'] as const) {
  test(`after a ${signal} restart, a GARQ's genuine variant is still replayed beside the forgery published first`, async (t) => {
    const home = await serverHome();
    const sender = v16Identity(0);
    const recipient = v16Identity(1);
    const genuine = requests(sender, recipient.publicIdentity, 1)[0]!;
    const forged = forgedCopy(genuine, 3);

    const first = startForeground(home, t);
    await first.ready();
    const c = await connectClient(home, t);
    await c.publish(sender.publicIdentity.gidc.raw);
    await c.publish(recipient.publicIdentity.gidc.raw);
    assert.equal(await c.publish(forged), true, 'the forgery is stored first');
    assert.equal(await c.publish(genuine), true, 'the genuine copy is kept beside it');
    c.close();
    first.child.kill(signal);
    await first.exited;
    assert.ok(existsSync(`${home.config.server.ghidcache}.garq-variants`));

    const second = startForeground(home, t);
    await second.ready();
    t.after(async () => {
      second.child.kill('SIGTERM');
      await second.exited;
    });
    const sub = await connectClient(home, t);
    const replayed: Buffer[] = [];
    sub.on('notification', (_s: Ghid, raw: Buffer) => void replayed.push(raw));
    await sub.subscribe(recipient.ghid);
    await until(() => replayed.length === 2, 'both copies replayed after the restart', 10_000);
    const opened: Buffer[] = [];
    for (const raw of replayed) {
      if (await openRequest(parseObject(raw) as Garq, recipient, async () => sender.publicIdentity).then(() => true, () => false)) opened.push(raw);
    }
    assert.deepEqual(opened, [genuine], 'the recipient opens the genuine one');
    assert.match(second.output(), /Restored 1 GARQ variant/);
  });
}
