// One account on three computers, and an object shared with another user. Two computers go
// offline (each behind its own link, which the test cuts) and write the object; the third writes it
// meanwhile, online, and the other user follows it. The two come back one after the other, or at
// once. Each computer that comes back writes its last state on top of what the server holds, so
// the other user follows every return, and in the end all four read one of the last writes.
//
// A record in the account's secrets map carries one fork, the newest it outranked: with three
// computers, two forks are left out at once. Restarted while offline, a computer also opens its
// account from its own cache: a frame of the account's maps taken in just before its link went
// down must not have left it unreadable there (Inbound: a frame is stored only with its
// container).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { API_ID_RAW } from '../../src/core/objects/hgxd.js';
import { until, type User } from '../fixtures/ipc/world.js';
import { quiet, threeComputers } from '../fixtures/daemon/three-computers.js';
import { wentBack } from '../fixtures/server/accepted-history.js';
import { shownAfterSync } from '../fixtures/daemon/shown-after-sync.js';

interface Case {
  /** Writes offline by the first and the second computer, and online by the third. */
  writes: [number, number, number];
  /** Both offline computers write the account's secrets map before coming back (a timer does, a second after a change). */
  mapsWritten: boolean;
  /** Both offline computers are restarted before they are back. */
  restarted: boolean;
  /** The second comes back first and the first after it, or both at once. */
  back: 'in turn' | 'together';
}

const cases: Case[] = [
  { writes: [12, 10, 3], mapsWritten: true, restarted: true, back: 'in turn' },
  { writes: [20, 10, 10], mapsWritten: false, restarted: true, back: 'in turn' },
  { writes: [10, 20, 12], mapsWritten: true, restarted: false, back: 'in turn' },
  // Back together, both resolve against the third computer's frame at once, and the server keeps
  // the second's frame, then the first's (higher counter), which does not name the second's: the
  // friend, restarted since it read the third's, reads the first's from the version both were
  // written on (SecretStore keeps the version a record moves from; before, it stayed on "two 10").
  { writes: [12, 10, 3], mapsWritten: false, restarted: true, back: 'together' },
];

for (const { writes, mapsWritten, restarted, back } of cases) {
  const [a, b, c] = writes;
  const title = `three computers write a shared object, two of them offline (${a} and ${b} times${restarted ? ', then restarted' : ''}), the third ${c} times; the two come back ${back}${mapsWritten ? ', their secrets maps written' : ''}: all end on a last write`;
  test(title, async (t) => {
    const { w, links, three, taken, ...computers } = await threeComputers(t);
    let { one, two } = computers;
    const { ghid } = await three.daemon.create(API_ID_RAW, Buffer.from('v0'));
    const first = three.daemon.objects.secrets.dynamic(ghid)!;
    let friend = await w.user(1);
    await three.sharing.share(ghid, friend.daemon.fingerprint);
    for (const u of [one, two, friend]) await until(async () => (await shownAfterSync(u, ghid)) === 'v0' || null, 'every computer and the friend to open it');

    for (const link of links) link.cut();
    await until(() => [one, two].every((u) => u.daemon.network.status().every((r) => !r.connected)), 'two computers to be offline');
    for (let n = 1; n <= a; n++) await one.daemon.update(ghid, Buffer.from(`one ${n}`));
    for (let n = 1; n <= b; n++) await two.daemon.update(ghid, Buffer.from(`two ${n}`));
    if (restarted) [one, two] = await Promise.all([one.restart({ unreachable: true }), two.restart({ unreachable: true })]);
    for (let n = 1; n <= c; n++) await three.daemon.update(ghid, Buffer.from(`three ${n}`));
    if (mapsWritten) await Promise.all([one, two, three].map((u) => u.daemon.account.secrets.flush()));
    await until(async () => (await shownAfterSync(friend, ghid)) === `three ${c}` || null, 'the friend to follow the third computer');
    // The friend then knows only the secret of the version it showed last.
    friend = await friend.restart();

    /** What `u` shows once it shows `expected`, or after 10 s, what it shows then. */
    const seenBy = (u: User, expected: string) =>
      until(async () => ((await shownAfterSync(u, ghid)) === expected ? expected : null), `${expected} to be shown`, 10_000).catch(() => shownAfterSync(u, ghid));
    if (back === 'in turn') {
      links[1].restore();
      await until(() => quiet(two), 'the second computer to upload', 20_000);
      assert.equal(await seenBy(friend, `two ${b}`), `two ${b}`, 'the friend follows the second computer back');
      links[0].restore();
      await until(() => quiet(one), 'the first computer to upload', 20_000);
      const last = `one ${a}`;
      assert.equal(await seenBy(friend, last), last, 'the friend follows the first computer back');
      for (const u of [two, three]) assert.equal(await shownAfterSync(u, ghid), last, 'and so do the other computers');
    } else {
      for (const link of links) link.restore();
      await until(() => quiet(one) && quiet(two), 'both computers to upload', 20_000);
      const everyone = [one, two, three, friend];
      const shown = await until(async () => {
        const all = await Promise.all(everyone.map((u) => shownAfterSync(u, ghid)));
        return all.every((s) => s === all[0]) ? all[0]! : null;
      }, 'all four to agree', 10_000).catch(async () => JSON.stringify(await Promise.all(everyone.map((u) => shownAfterSync(u, ghid)))));
      assert.ok([`one ${a}`, `two ${b}`].includes(shown), `all four show one of the last writes of the computers back: ${shown}`);
    }
    // What the server took: the last write of each computer back (each conflict wrote it on top
    // of the other's), and each computer's states in the order it wrote them.
    const states = taken.statesOf(ghid, first);
    for (const last of [`one ${a}`, `two ${b}`]) assert.ok(states.includes(last), `${last} reached the server; it took ${states.join(', ')}`);
    assert.equal(wentBack(states), null, `the server took ${states.join(', ')}`);
  });
}

// The account's own maps: each computer's changes reach the others, and a key all three set ends
// the same everywhere, on one of their last values.
test('three computers change the account, two of them offline and restarted: all three, and a fourth signing in later, have every change', async (t) => {
  const { w, links, three, ...computers } = await threeComputers(t);
  let { one, two } = computers;
  for (const link of links) link.cut();
  await until(() => [one, two].every((u) => u.daemon.network.status().every((r) => !r.connected)), 'two computers to be offline');
  const change = async (u: User, by: string, times: number) => {
    for (let n = 1; n <= times; n++) {
      u.daemon.account.state.set(`test:${by}-${n}`, n);
      u.daemon.account.state.set('test:shared', `${by} ${n}`);
      await u.daemon.account.state.flush();
    }
  };
  await change(one, 'one', 12);
  await change(two, 'two', 9);
  await change(three, 'three', 4);
  [one, two] = await Promise.all([one.restart({ unreachable: true }), two.restart({ unreachable: true })]);
  for (const link of links) link.restore();
  await until(() => quiet(one) && quiet(two), 'both computers to upload', 20_000);

  const hasAll = (u: User) => ['one-12', 'two-9', 'three-4'].every((k) => u.daemon.account.state.get(`test:${k}`) !== undefined);
  await until(() => [one, two, three].every(hasAll) || null, 'every computer to have every change', 15_000);
  const shared = await until(() => {
    const values = [one, two, three].map((u) => u.daemon.account.state.get('test:shared'));
    return values.every((v) => v === values[0]) ? values[0] : null;
  }, 'the three to agree on the key all set', 10_000);
  assert.ok(['one 12', 'two 9', 'three 4'].includes(shared as string), `one of the last values: ${String(shared)}`);
  const fourth = await w.device(three, 0);
  assert.ok(hasAll(fourth), 'a computer signing in afterwards has them all');
  assert.equal(fourth.daemon.account.state.get('test:shared'), shared);
});
