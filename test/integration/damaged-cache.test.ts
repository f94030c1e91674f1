// Object files in a computer's ghidcache damaged while it was off (a disk's bit rot, a partial
// copy, another program's write): the account opens from what its remote holds, the copies it
// reads are put right from there (so the computer then works offline again), and with no remote
// to read them from the failure is a typed error naming the damage, never a crash, and nothing
// is deleted. Real daemons, a real persistence server on 127.0.0.1, real files.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { DamagedAccount } from '../../src/core/account/errors.js';
import { API_ID_RAW } from '../../src/core/objects/hgxd.js';
import { AccountDaemons, synced } from '../fixtures/daemon/account-daemons.js';
import { tempHome, until, world } from '../fixtures/ipc/world.js';

async function objectFiles(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  for (const name of (await readdir(dir)).filter((n) => n.endsWith('.ghid'))) files.set(name, await readFile(join(dir, name)));
  return files;
}

/** Damages every object file of the cache as `how` says. */
async function damageAll(dir: string, how: (raw: Buffer) => Buffer): Promise<number> {
  const files = await objectFiles(dir);
  for (const [name, raw] of files) await writeFile(join(dir, name), how(raw));
  return files.size;
}

const flipMiddleByte = (raw: Buffer) => {
  const copy = Buffer.from(raw);
  copy[copy.length >> 1]! ^= 0x5a;
  return copy;
};
const cutShort = (raw: Buffer) => raw.subarray(0, raw.length - 7);

async function accountWithObject(t: { after(fn: () => unknown): void }) {
  const w = await world();
  const daemons = new AccountDaemons(t);
  const home = await tempHome('hgx-damaged-');
  const first = await daemons.start(home, w.serverPort, { create: 'a password 1' });
  const obj = await first.create(API_ID_RAW, Buffer.from('kept on the server'));
  await until(() => synced(first) || null, 'everything to be uploaded', 10_000);
  const login = { userId: first.userId, password: 'a password 1' };
  await daemons.stop(first);
  return { w, home, obj, login, daemons };
}

test('object files damaged while the daemon was off: the account and its objects open from the remote, and the copies read are put right, so it then opens offline', async (t) => {
  const { w, home, obj, login, daemons } = await accountWithObject(t);
  let expected = 'kept on the server';
  for (const [kind, how] of [['a changed byte', flipMiddleByte], ['cut short', cutShort]] as const) {
    assert.ok((await damageAll(join(home, 'ghidcache'), how)) > 3, 'the account and the object are in the cache');
    const warnings: string[] = [];
    const online = await daemons.start(home, w.serverPort, login, { warnings });
    assert.equal((await online.open(obj.ghid)).state.toString(), expected, `${kind}: the object reads as the server holds it`);
    assert.ok(warnings.some((m) => /is damaged .*put right from a remote's copy/.test(m)), `${kind}: the log says what was put right: ${warnings.join(' | ')}`);
    // It also takes writes, which reach the server.
    expected = `written after the damage (${kind})`;
    await online.update(obj.ghid, Buffer.from(expected));
    await until(() => synced(online) || null, 'the write to reach the server', 10_000);
    await daemons.stop(online);

    const offline = await daemons.start(home, null, login);
    assert.equal((await offline.open(obj.ghid)).state.toString(), expected, `${kind}: what was put right opens with no remote`);
    await daemons.stop(offline);
  }
});

test('object files damaged and no remote to read them from: the account is refused as damaged, in words, and no file is removed', async (t) => {
  const { home, login, daemons } = await accountWithObject(t);
  const dir = join(home, 'ghidcache');
  const count = await damageAll(dir, cutShort);
  const damaged = await objectFiles(dir);
  const warnings: string[] = [];
  await assert.rejects(daemons.start(home, null, login, { warnings }), (err: unknown) => err instanceof DamagedAccount && /on this computer is damaged .*no remote could give a good one/.test((err as Error).message));
  assert.ok(warnings.some((m) => /is damaged .*no connected remote has it/.test(m)), warnings.join(' | '));
  const after = await objectFiles(dir);
  assert.equal(after.size, count, 'every damaged file is still there, for a remote to put right later');
  for (const [name, raw] of damaged) assert.ok(after.get(name)?.equals(raw), `${name} is as it was`);
});
