// A full disk under a real server process: starting on a full disk is a state (the path and why
// in the log, publishes refused); a ghidcache that is a file refused before the port is bound; and, on a real
// small file system that fills while the server runs, publishes refused with NK 0010 while reads
// go on, and publishing again once there is room — no restart.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { StorageFull } from '../../src/core/golix/index.js';
import { RemoteClient } from '../../src/core/remote/client.js';
import { isListening, serverHome, startForeground, until } from '../fixtures/server/helpers.js';
import { requests } from '../fixtures/server/objects.js';
import { mountSmallDisk } from '../fixtures/server/small-disk.js';
import { v16Identity } from '../fixtures/vectors.js';

const count = (text: string, needle: string): number => text.split(needle).length - 1;

test('server.ghidcache pointing at a file: one clear line naming the key and the path, before the port is bound', async (t) => {
  const home = await serverHome();
  const file = join(home.dir, 'not-a-dir');
  writeFileSync(file, 'x');
  const h = await serverHome({ ghidcache: file });
  const fg = startForeground(h, t);
  const { code } = await fg.exited;
  const out = fg.output();
  assert.equal(code, 1);
  const line = `server.ghidcache is ${file}, which is a file, not a directory`;
  assert.equal(count(out, line), 1, out);
  assert.doesNotMatch(out, /EEXIST|ENOTDIR|listening on|at .*\.ts:\d+/);
  assert.equal(await isListening(h.port), false);
});

test('a server starting on a full disk starts in the full state: it says which path and why, refuses publishes with NK 0010, and serves reads', async (t) => {
  const disk = mountSmallDisk(1024 * 1024);
  if (typeof disk === 'string') return t.skip(disk);
  t.after(() => disk.unmount());
  disk.fill();
  const ghidcache = join(disk.dir, 'ghidcache');
  const home = await serverHome({ ghidcache });
  const fg = startForeground(home, t);
  await fg.ready();
  t.after(async () => {
    fg.child.kill('SIGTERM');
    await fg.exited;
  });
  const out = fg.output();
  assert.match(out, new RegExp(`storage is full: writing ${ghidcache.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\S* failed \\(ENOSPC\\)`), out);
  assert.doesNotMatch(out, /ENOSPC: no space left on device|Error:|StorageFull:|at .*\.ts:\d+/);
  const c = new RemoteClient({ host: '127.0.0.1', port: home.port, requestTimeoutMs: 10_000 });
  c.start();
  t.after(() => c.close());
  await c.whenConnected(5000);
  const refusal = await c.publish(v16Identity(0).publicIdentity.gidc.raw).then(
    () => null,
    (e: unknown) => e,
  );
  assert.ok(refusal instanceof StorageFull, `expected StorageFull, got ${String(refusal)}`);
  assert.equal(refusal.code, 0x0010);
  assert.equal(await c.exists(v16Identity(0).ghid), false, 'reads are answered');
});

test('on a real small disk that fills while it runs: NK 0010, reads go on, and publishing resumes once there is room', async (t) => {
  const disk = mountSmallDisk(4 * 1024 * 1024);
  if (typeof disk === 'string') return t.skip(disk);
  t.after(() => disk.unmount());
  const home = await serverHome({ ghidcache: join(disk.dir, 'ghidcache') });
  const fg = startForeground(home, t);
  await fg.ready();
  t.after(async () => {
    fg.child.kill('SIGTERM');
    await fg.exited;
  });
  const c = new RemoteClient({ host: '127.0.0.1', port: home.port, requestTimeoutMs: 10_000 });
  c.start();
  t.after(() => c.close());
  await c.whenConnected(5000);
  const sender = v16Identity(0);
  const recipient = v16Identity(1).publicIdentity;
  await c.publish(sender.publicIdentity.gidc.raw);
  await c.publish(recipient.gidc.raw);
  const garqs = requests(sender, recipient, 400);
  const first = garqs[0]!;
  assert.equal(await c.publish(first), true);

  disk.fill();
  let refusal: unknown = null;
  // Bounded: the disk is full, so one of these fails at once or after the store's buffers.
  for (const raw of garqs.slice(1, 200)) {
    refusal = await c.publish(raw).then(
      () => null,
      (e: unknown) => e,
    );
    if (refusal) break;
  }
  assert.ok(refusal instanceof StorageFull, `expected StorageFull, got ${String(refusal)}`);
  assert.equal(refusal.message, "the server's storage is full");
  assert.equal(refusal.code, 0x0010);
  assert.deepEqual(await c.get(sender.ghid), sender.publicIdentity.gidc.raw, 'reads go on');
  assert.match(fg.output(), new RegExp(`Refusing publishes until there is room|A publish failed to be stored`));

  disk.free();
  const fresh = garqs[300]!;
  await until(async () => c.publish(fresh).then(() => true, () => false), 'a publish stored once there is room', 20_000, 200);
  assert.equal(await c.exists(sender.ghid), true);
});
