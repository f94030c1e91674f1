// A persistence server over a file store whose object files were damaged while it was off: a
// damaged object is answered as not here (never its damaged bytes), said once in the log, and put
// right by the next publish of it. Real server, real files, a real client.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { DoesNotExist } from '../../../src/core/golix/index.js';
import { RemoteClient } from '../../../src/core/remote/client.js';
import { PersistenceServer } from '../../../src/core/remote/server.js';
import { RulesEngine } from '../../../src/core/rules/rules-engine.js';
import { FileStore } from '../../../src/core/store/file-store.js';
import { memoryLogger } from '../../fixtures/remote/helpers.js';
import { v16Objects } from '../../fixtures/vectors.js';

const v16 = v16Objects();
const gidcs = v16.filter((o) => o.obj.type === 'GIDC');
const frame = v16.find((o) => o.obj.type === 'GOBD' && o.entry.counter === 0)!;
const container = v16.find((o) => o.obj.type === 'GEOC' && o.entry.chain_counter === 0)!;

async function serverOn(dir: string, t: { after(fn: () => unknown): void }) {
  const logger = memoryLogger();
  const { engine } = await RulesEngine.open(new FileStore(join(dir, 'ghidcache')));
  const server = new PersistenceServer({ engine, host: '127.0.0.1', port: 0, logger });
  const { port } = await server.listen();
  const client = new RemoteClient({ host: '127.0.0.1', port });
  client.start();
  await client.whenConnected(5000);
  const close = async () => {
    await client.close();
    await server.close();
    await engine.close();
  };
  t.after(close);
  return { client, logger, close, port };
}

test('a damaged object is answered as not here, said once, and put right by a publish of it', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-damaged-server-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const first = await serverOn(dir, t);
  for (const o of [...gidcs, frame, container]) await first.client.publish(o.raw);
  await first.close();

  const file = (ghid: string) => join(dir, 'ghidcache', `${ghid}.ghid`);
  await writeFile(file(gidcs[0]!.obj.ghid.text), gidcs[0]!.raw.subarray(0, 200));
  await writeFile(file(frame.obj.ghid.text), container.raw);
  const { client, logger, port } = await serverOn(dir, t);
  for (let i = 0; i < 2; i++) {
    await assert.rejects(client.get(gidcs[0]!.obj.ghid), (e: unknown) => e instanceof DoesNotExist && /damaged in this server's store/.test((e as Error).message));
  }
  // A dynamic GHID whose current frame's file holds another object.
  const dynamic = frame.obj.type === 'GOBD' ? frame.obj.dynamic : assert.fail('a frame');
  await assert.rejects(client.get(dynamic), DoesNotExist);
  // Asked by the frame's own GHID (a daemon's daily check asks so), the damaged frame is not there either.
  assert.equal(await client.exists(frame.obj.ghid), false);
  assert.equal(await client.exists(dynamic), false);
  assert.equal((await (await fetch(`http://127.0.0.1:${port}/metrics`)).text()).match(/^hypergolix_damaged_objects (\d+)$/m)?.[1], '2', 'the identity and the frame, each counted once');
  assert.equal(logger.lines.filter((l) => l.startsWith('error') && l.includes(gidcs[0]!.obj.ghid.short)).length, 1, 'said once');
  assert.ok(logger.lines.some((l) => l.startsWith('error') && l.includes(dynamic.short) && /its bytes are object/.test(l)));
  // Undamaged objects are served as ever.
  assert.deepEqual(await client.get(container.obj.ghid), container.raw);

  // Published again (a daemon sends its identity at each connect): put right, served again.
  assert.equal(await client.publish(gidcs[0]!.raw), false, 'already stored: nothing new to tell');
  assert.deepEqual(await client.get(gidcs[0]!.obj.ghid), gidcs[0]!.raw);
  await client.publish(frame.raw);
  assert.deepEqual(await client.get(dynamic), frame.raw);
  assert.equal(await client.exists(frame.obj.ghid), true, 'put right: there again by its own GHID too');
  assert.ok(logger.lines.some((l) => l.startsWith('info') && /put right from a publish/.test(l)));
});

test("a damaged identity is put right by its owner's next publish of it, without being asked for first", async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-damaged-gidc-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  const first = await serverOn(dir, t);
  for (const o of gidcs) await first.client.publish(o.raw);
  await first.close();
  await writeFile(join(dir, 'ghidcache', `${gidcs[0]!.obj.ghid.text}.ghid`), gidcs[0]!.raw.subarray(0, 300));
  const { client, logger } = await serverOn(dir, t);
  await client.publish(gidcs[0]!.raw);
  assert.deepEqual(await client.get(gidcs[0]!.obj.ghid), gidcs[0]!.raw);
  assert.ok(logger.lines.some((l) => l.startsWith('info') && /put right from a publish/.test(l)));
  // What it signs is taken again (the frame's binder is that identity).
  assert.equal(await client.publish(frame.raw), true);
});
