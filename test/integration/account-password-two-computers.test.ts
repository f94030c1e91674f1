// One account on two computers (real daemons, a real persistence server on 127.0.0.1, homes in
// temp dirs): password changes and recoveries while the other computer is offline or running.
// Which password opens each computer once it is back, whether what it wrote offline reaches the
// other, and that no root write of a computer that missed the change brings an old password back.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Daemon } from '../../src/core/daemon/daemon.js';
import { AccountUnreachable, IncorrectPassword, OutdatedPassword, PasswordChangedElsewhere, WrongRecoveryKey } from '../../src/core/account/errors.js';
import { API_ID_RAW } from '../../src/core/objects/hgxd.js';
import { AccountDaemons, synced, type AccountStart } from '../fixtures/daemon/account-daemons.js';
import { kdf, tempHome, until, world } from '../fixtures/ipc/world.js';
import { CuttableLink } from '../fixtures/remote/cuttable-link.js';

let daemons: AccountDaemons;

/** A computer of the account: its home, and a daemon started there with `password` (or a created account). */
const computer = (home: string, port: number, label: string, login: AccountStart) => daemons.start(home, port, login, { label });
const stop = (d: Daemon) => daemons.stop(d);

async function setup(t: { after(fn: () => unknown): void }) {
  const w = await world();
  daemons = new AccountDaemons(t);
  const link = await CuttableLink.open(w.serverPort);
  t.after(() => link.close());
  const homes = [await tempHome('hgx-pw-1-'), await tempHome('hgx-pw-2-')];
  const one = await computer(homes[0]!, w.serverPort, 'one', { create: 'first password 1' });
  await until(() => synced(one) || null, 'the account to be uploaded', 10_000);
  const userId = one.userId;
  const two = await computer(homes[1]!, link.port, 'two', { userId, password: 'first password 1' });
  return { w, link, homes, one, two, userId };
}

test('a password changed on computer one while two is offline: two opens with the old one until it syncs, its offline write arrives, then only the new one opens it', async (t) => {
  const { w, link, homes, one, two: twoFirst, userId } = await setup(t);
  const obj = await one.create(API_ID_RAW, Buffer.from('v0'));
  await until(async () => (await twoFirst.open(obj.ghid).catch(() => null))?.state.toString() === 'v0' || null, 'two to read the object');

  link.cut();
  await until(() => twoFirst.network.status().every((r) => !r.connected) || null, 'two to be offline');
  await one.account.changePassword('second password 2', kdf);
  await twoFirst.update(obj.ghid, Buffer.from('written offline on two'));
  await stop(twoFirst);
  // Restarted offline: its own copy still opens with the old password (local first, README).
  let two = await computer(homes[1]!, link.port, 'two', { userId, password: 'first password 1' });
  link.restore();
  await until(() => synced(two) || null, 'two to be back and to have sent what it wrote', 10_000);
  await until(async () => (await one.open(obj.ghid)).state.toString() === 'written offline on two' || null, 'one to show what two wrote offline');
  // Back online, two learns that the password it opened with was replaced, and says so.
  await until(() => two.status().passwordChangedElsewhereAt !== null || null, 'two to find the password changed on computer one');
  assert.equal(one.status().passwordChangedElsewhereAt, null, 'not on the computer that changed it');
  // Two still holds the old password: a root write from it must not bring that password back.
  await until(async () => {
    try {
      await two.account.changePassword('third password 3', kdf);
      return null;
    } catch (err) {
      return err instanceof PasswordChangedElsewhere || null;
    }
  }, 'two to refuse a password change over the one made on computer one');
  await assert.rejects(two.account.makeRecoveryKey(), PasswordChangedElsewhere);
  await stop(two);
  // Its next unlock with the old password (or any other) is told why it no longer opens the account.
  await assert.rejects(computer(homes[1]!, link.port, 'two', { userId, password: 'first password 1' }), (e: unknown) => e instanceof OutdatedPassword && /changed on another computer/.test(e.message));
  await assert.rejects(computer(homes[1]!, link.port, 'two', { userId, password: 'third password 3' }), OutdatedPassword);
  two = await computer(homes[1]!, link.port, 'two', { userId, password: 'second password 2' });
  assert.equal(two.status().passwordChangedElsewhereAt, null);
  assert.equal((await two.open(obj.ghid)).state.toString(), 'written offline on two');
  // A new computer signs in with the new password only.
  const three = await tempHome('hgx-pw-3-');
  await assert.rejects(computer(three, w.serverPort, 'three', { userId, password: 'first password 1' }), (e: unknown) => e instanceof IncorrectPassword && !(e instanceof OutdatedPassword));
  const c3 = await computer(three, w.serverPort, 'three', { userId, password: 'second password 2' });
  assert.equal((await c3.open(obj.ghid)).state.toString(), 'written offline on two');
});

test('two computers change the password, one of them offline: the offline change is refused with a typed error, not kept on that computer alone', async (t) => {
  const { w, link, homes, one, two, userId } = await setup(t);
  link.cut();
  await until(() => two.network.status().every((r) => !r.connected) || null, 'two to be offline');
  await one.account.changePassword('second password 2', kdf);
  // Before the fix it "succeeded": once back, two opened with this password only, and every
  // other computer (and a new one) with the other, for good.
  await assert.rejects(two.account.changePassword('third password 3', kdf), (e: unknown) => e instanceof AccountUnreachable && /every remote/.test((e as Error).message));
  await assert.rejects(two.account.makeRecoveryKey(), AccountUnreachable);
  link.restore();
  await stop(two);
  // Started again, online: its copy still opens with the old password until it has synced (README).
  const back = await computer(homes[1]!, link.port, 'two', { userId, password: 'first password 1' });
  await until(async () => (await back.account.makeRecoveryKey().then(() => false, (err: unknown) => err instanceof PasswordChangedElsewhere)) || null, 'two to learn the password set on one');
  await stop(back);
  await stop(one);
  for (const [home, port] of [[homes[0]!, w.serverPort], [homes[1]!, link.port], [await tempHome('hgx-pw-3-'), w.serverPort]] as const) {
    await assert.rejects(computer(home, port, 'again', { userId, password: 'third password 3' }), IncorrectPassword);
    await stop(await computer(home, port, 'again', { userId, password: 'second password 2' }));
  }
});

test('both computers change the password at the same moment, online: one change stands on both and on a new computer; the other is refused as changed elsewhere', async (t) => {
  const { w, link, homes, one, two, userId } = await setup(t);
  await until(() => synced(two) || null, 'two to be in sync', 10_000);
  const outcomes = await Promise.allSettled([one.account.changePassword('password of one 2', kdf), two.account.changePassword('password of two 3', kdf)]);
  const won = outcomes.findIndex((o) => o.status === 'fulfilled');
  assert.equal(outcomes.filter((o) => o.status === 'fulfilled').length, 1, `exactly one change stands: ${outcomes.map((o) => (o.status === 'rejected' ? String(o.reason) : 'ok')).join(' | ')}`);
  const refused = (outcomes[1 - won] as PromiseRejectedResult).reason;
  assert.ok(refused instanceof PasswordChangedElsewhere, String(refused));
  const [stands, lost] = won === 0 ? ['password of one 2', 'password of two 3'] : ['password of two 3', 'password of one 2'];
  await until(() => (synced(one) && synced(two)) || null, 'both to have sent everything', 10_000);
  await stop(one);
  await stop(two);
  // Every computer, from its own cache and online, opens with the change that stood, and only with it.
  for (const [home, port] of [[homes[0]!, w.serverPort], [homes[1]!, link.port], [await tempHome('hgx-pw-3-'), w.serverPort]] as const) {
    await assert.rejects(computer(home, port, 'again', { userId, password: lost }), IncorrectPassword);
    await stop(await computer(home, port, 'again', { userId, password: stands }));
  }
});

test('a recovery on a new computer while two runs on the lost password: two cannot write that password back; the kit works twice, an older kit not at all', async (t) => {
  const { w, one, two, userId } = await setup(t);
  const old = await one.account.makeRecoveryKey();
  const kit = await one.account.makeRecoveryKey();
  const obj = await two.create(API_ID_RAW, Buffer.from('from two'));
  await until(() => synced(two) || null, 'two to have sent its object', 10_000);
  const home = await tempHome('hgx-pw-3-');
  await assert.rejects(computer(home, w.serverPort, 'three', { userId, password: 'recovered password 4', recoveryKey: old.bytes }), WrongRecoveryKey);
  const three = await computer(home, w.serverPort, 'three', { userId, password: 'recovered password 4', recoveryKey: kit.bytes });
  await until(() => synced(three) || null, 'three to have sent the new root', 10_000);
  await until(async () => (await three.open(obj.ghid).catch(() => null))?.state.toString() === 'from two' || null, 'the recovered computer to read what two wrote');
  for (const running of [one, two]) {
    await until(async () => {
      try {
        await running.account.makeRecoveryKey();
        return null;
      } catch (err) {
        return err instanceof PasswordChangedElsewhere || null;
      }
    }, 'a computer still on the lost password to refuse a new kit');
  }
  await stop(three);
  // Used again (on the same computer): it still opens the account and sets another password.
  const again = await computer(home, w.serverPort, 'three', { userId, password: 'recovered password 5', recoveryKey: kit.bytes });
  await until(() => synced(again) || null, 'the second recovery to reach the server', 10_000);
  await stop(again);
  const fresh = await tempHome('hgx-pw-4-');
  await assert.rejects(computer(fresh, w.serverPort, 'four', { userId, password: 'recovered password 4' }), IncorrectPassword);
  await assert.rejects(computer(fresh, w.serverPort, 'four', { userId, password: 'first password 1' }), IncorrectPassword);
  const four = await computer(fresh, w.serverPort, 'four', { userId, password: 'recovered password 5' });
  await until(async () => (await four.open(obj.ghid).catch(() => null))?.state.toString() === 'from two' || null, 'a new computer to read what two wrote');
});
