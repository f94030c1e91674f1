// Three computers of one account and a friend the object is shared with, driven by a seeded
// random schedule: writes and bursts of writes on each computer, its link to the server cut and
// restored, restarts (offline ones too), secrets-map flushes, and restarts of the friend's
// daemon. After every restart the computer reads the object from its own cache; at the end, with
// every link restored and every outbox drained, all four read the same state, the last write of
// one of the computers. Seeds 1 and 2 failed before the friend's daemon followed the objects
// shared with it (a restart stopped it hearing of them). Seed 21 failed every other run before
// a computer restarted just after coming back could open the object at once (Daemon.open
// merges the account's secrets map first; ObjectManager.applyFrame shows the newest frame here
// when the record is ahead of it), and about one run in four under load after that, until an open
// racing the catch-up of a start read the frame the catch-up replaced (containerOrNewer); and,
// run two at once beside a busy CPU, about one run in twenty-five each way, until a retry of the
// conflicts raised before the daemon listened waited for the send under way (in it, a computer's
// offline frames went before the conflict: the server's chain forked 18 versions deep) and a
// container refused as unbound while its frame was offered again went after it (dropped, the
// server kept the frame alone, and the others waited for its container: "all quiet" timed out). Seeds
// 83 and 93 failed before an offline write went over another computer's frame that could not
// be read here yet (ObjectManager.update's overUnreadable); 93 is among the default seeds.
// HGX_CHAOS_SEEDS="3 4 5" runs others; HGX_CHAOS_FRIEND_SEEDS those of the schedule that cuts
// the friend's link too, whose seeds 80, 116 and 39 failed until a sharer answered a friend that
// fell behind again at once, and an answer taken in by another computer of the account was kept
// for the one that made the request (Sharing); seeds 1 to 100 pass. Seed 192 of it failed in
// most runs until a record of the same counter that lost by time in the account's secrets map
// was carried in the one that won (two computers had each written that version on its own fork,
// and the server kept the loser's: the others could read nothing), and a friend whose share
// again opened nothing (a version the server never took) said so and asked again soon
// (share-again.ts OPENED_NOTHING_STATUS) rather than declining it and waiting a day. It failed
// again about one run in sixty under load (the server's chain unreadable past a computer's deep
// fork) until such a fork, whose remote frame no record here read, went on its base rather than
// as it was (ObjectManager.resolveConflict's onBase).
// HGX_CHAOS_SERVER_SEEDS those of the schedule in which the server restarts too (its store kept);
// HGX_CHAOS_RETURN_SEEDS those in which a computer offline may come back and be restarted
// 0-400 ms later, whose seed 15 (a default seed) failed about one run in four until a write of an
// object not in memory waited for the account's record as an open does (Daemon.update). Beyond
// the state everyone ends on, the server's own record is checked (RecordingStore): the state of
// the last frame it took is what everyone shows, each computer's last write is among those it
// took (a conflict that wrote another computer's state on top loses it, and would still end on
// "some last write"), and each computer's states reached it in the order that computer wrote
// them. With these checks, base seeds 101-160, friend-cut seeds 1-30, server seeds 1-20 and
// return seeds 1-90 pass. Longer schedules ("28x60" in a list: seed 28 for 60 steps) found that
// a write below another computer's record, which the secrets map had brought ahead of every
// frame here, was lost by a restart before the conflict (ObjectManager.update now writes above
// it): return seed 28 with 60 steps, a default, failed every time before. And, run five at once,
// that a computer restarted offline could not open its own last write once other computers'
// records had replaced its own in the secrets map (account/kept-here.ts now keeps it): return
// seed 74 with 60 steps, a default, failed about one run in two that way, 71 one in four.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Ghid } from '../../src/core/golix/index.js';
import { API_ID_RAW } from '../../src/core/objects/hgxd.js';
import { labelledLogger, until, world, type User } from '../fixtures/ipc/world.js';
import { CuttableLink } from '../fixtures/remote/cuttable-link.js';
import { shownAfterSync } from '../fixtures/daemon/shown-after-sync.js';
import { RecordingStore, wentBack } from '../fixtures/server/accepted-history.js';

/** Steps of a schedule unless told otherwise; a longer one keeps a seed's first steps the same. */
const DEFAULT_STEPS = 30;
/** Steps of each schedule; HGX_CHAOS_STEPS=60 runs longer ones. */
const STEPS = Number(process.env.HGX_CHAOS_STEPS ?? DEFAULT_STEPS);
/** Seeds from a list such as "1 2 28x60": "x60" runs that seed for 60 steps. */
function seedsOf(list: string): { seed: number; steps: number }[] {
  return list.split(/\s+/).filter(Boolean).map((token) => {
    const [seed, steps] = token.split('x').map(Number);
    return { seed: seed!, steps: steps ?? STEPS };
  });
}
const SEEDS = seedsOf(process.env.HGX_CHAOS_SEEDS ?? '1 2 21 93');
/** Seeds of the schedule in which the friend's link is cut and restored too. */
const FRIEND_SEEDS = seedsOf(process.env.HGX_CHAOS_FRIEND_SEEDS ?? '1 192');
/** Seeds of the schedule in which the server restarts too. */
const SERVER_SEEDS = seedsOf(process.env.HGX_CHAOS_SERVER_SEEDS ?? '1');
/** Seeds of the schedule in which a computer may be restarted just after it comes back. */
const RETURN_SEEDS = seedsOf(process.env.HGX_CHAOS_RETURN_SEEDS ?? '15 28x60 74x60');
const ACTIONS = ['write', 'write', 'write', 'burst', 'cut', 'restore', 'restart', 'flush', 'friend'] as const;
/** The friend's link too (its restarts then happen offline as well). */
const WITH_FRIEND_CUTS = [...ACTIONS, 'fcut', 'frestore'] as const;
/** The server restarted (its store kept, as a process restarted on the same ghidcache). */
const WITH_SERVER_RESTARTS = [...ACTIONS, 'srestart'] as const;
/** A computer offline comes back and is restarted 0-400 ms later, while its conflict may still be settling. */
const WITH_RESTARTS_ON_RETURN = [...ACTIONS, 'return'] as const;
type Action = (typeof WITH_FRIEND_CUTS)[number] | (typeof WITH_SERVER_RESTARTS)[number] | (typeof WITH_RESTARTS_ON_RETURN)[number];

/** xorshift32: the same schedule for the same seed. */
function rng(seed: number) {
  let s = seed >>> 0 || 1;
  return () => {
    s = (s ^ (s << 13)) >>> 0;
    s = (s ^ (s >>> 17)) >>> 0;
    s = (s ^ (s << 5)) >>> 0;
    return s / 0x100000000;
  };
}

const RUNS = [
  ...SEEDS.map((s) => ({ ...s, actions: ACTIONS as readonly Action[], friendCuts: false })),
  ...FRIEND_SEEDS.map((s) => ({ ...s, actions: WITH_FRIEND_CUTS as readonly Action[], friendCuts: true })),
  ...SERVER_SEEDS.map((s) => ({ ...s, actions: WITH_SERVER_RESTARTS as readonly Action[], friendCuts: false })),
  ...RETURN_SEEDS.map((s) => ({ ...s, actions: WITH_RESTARTS_ON_RETURN as readonly Action[], friendCuts: false })),
];

for (const { seed, steps, actions, friendCuts } of RUNS) test(`three computers and a friend${friendCuts ? ' whose link is cut too' : ''}${actions.includes('srestart') ? ', with the server restarting,' : ''}${actions.includes('return') ? ', restarted as they come back,' : ''} under a random schedule of writes, cut links and restarts (seed ${seed}${steps === DEFAULT_STEPS ? '' : `, ${steps} steps`}): each reads the object after each restart, and all end on one last write`, async (t) => {
  const rand = rng(seed);
  const pick = <T,>(xs: readonly T[]) => xs[Math.floor(rand() * xs.length)]!;
  const serverStore = new RecordingStore();
  const w = await world({ serverStore });
  const links = await Promise.all([0, 1, 2].map(() => CuttableLink.open(w.serverPort)));
  t.after(() => Promise.all(links.map((l) => l.close())));
  const cs: User[] = [];
  cs.push(await w.user(0, { remotePort: links[0]!.port, label: 'c0' }));
  cs.push(await w.device(cs[0]!, 0, { remotePort: links[1]!.port, label: 'c1' }));
  cs.push(await w.device(cs[0]!, 0, { remotePort: links[2]!.port, label: 'c2' }));
  const up = [true, true, true];
  const { ghid } = await cs[2]!.daemon.create(API_ID_RAW, Buffer.from('v0'));
  const first = cs[2]!.daemon.objects.secrets.dynamic(ghid)!;
  const friendLink = await CuttableLink.open(w.serverPort);
  t.after(() => friendLink.close());
  let friendUp = true;
  let friend = await w.user(1, { remotePort: friendLink.port, label: 'friend' });
  await cs[2]!.sharing.share(ghid, friend.daemon.fingerprint);
  for (const u of [...cs, friend]) await until(async () => (await shownAfterSync(u, ghid)) === 'v0' || null, 'open');
  const writes = [0, 0, 0];
  /** What a computer holds of the object, said when it cannot read it: versions as the counters of the server's frames (? if the server has none). */
  const recordOf = (u: User) => {
    const at = (k: { container: Ghid } | null | undefined) => (k ? `@${serverStore.counterOf(k.container) ?? '?'}` : 'none');
    const r = u.daemon.objects.secrets.dynamic(ghid);
    const known = u.daemon.objects.secrets.known(ghid).map(at).join(' ');
    const queued = u.daemon.network.queuedDynamics().map((q) => `${q.dynamic.equals(ghid) ? 'the object' : q.dynamic.short}${q.base ? ` on ${at({ container: q.base })}` : ''}`);
    return `its record ${at(r)} (counter ${r?.counter}, base ${at(r?.base)}, fork ${at(r?.fork)}), known ${known}, frame @${u.daemon.engine.currentFrame(ghid)?.counter} stored, ${u.daemon.network.status().map((s) => s.pending).join('+')} queued (frames of ${queued.join(', ') || 'nothing'})`;
  };
  const log: string[] = [];
  const schedule = labelledLogger('schedule');
  for (let step = 0; step < steps; step++) {
    const i = Math.floor(rand() * 3);
    const action = pick(actions);
    log.push(`${action} ${i}`);
    // Between the daemons' own lines, where the schedule is (HGX_TEST_LOG).
    schedule.info(`step ${step + 1}: ${action} ${i}`);
    try {
      await runStep(action, i);
    } catch (err) {
      // Which step failed, and the schedule up to it, for whoever looks at a failing seed.
      throw new Error(`step ${step + 1}, ${action} ${i}: ${(err as Error).message}\n${log.join(', ')}`, { cause: err });
    }
    await new Promise((r) => setTimeout(r, rand() * 300));
  }
  async function runStep(action: Action, i: number): Promise<void> {
    switch (action) {
      case 'write':
        writes[i]!++;
        await cs[i]!.daemon.update(ghid, Buffer.from(`c${i} ${writes[i]}`));
        break;
      case 'burst': {
        const n = 5 + Math.floor(rand() * 10);
        for (let k = 0; k < n; k++) {
          writes[i]!++;
          await cs[i]!.daemon.update(ghid, Buffer.from(`c${i} ${writes[i]}`));
        }
        break;
      }
      case 'cut':
        if (up[i]) {
          links[i]!.cut();
          up[i] = false;
          await until(() => cs[i]!.daemon.network.status().every((r) => !r.connected), 'offline');
        }
        break;
      case 'restore':
        if (!up[i]) {
          links[i]!.restore();
          up[i] = true;
        }
        break;
      case 'restart':
        cs[i] = await cs[i]!.restart({ unreachable: !up[i] });
        {
          const s = (await cs[i]!.daemon.open(ghid).then((o) => o.state.toString(), (e: Error) => `(${e.message})`));
          assert.ok(!s.startsWith('('), `after a restart, computer ${i} reads the object: ${s} (${recordOf(cs[i]!)}; the server took ${serverStore.countedStatesOf(ghid, first).join(', ')})\n${log.join(', ')}`);
        }
        break;
      case 'flush':
        await cs[i]!.daemon.account.secrets.flush();
        break;
      case 'friend':
        friend = await friend.restart({ unreachable: !friendUp });
        break;
      case 'fcut':
        if (friendUp) {
          friendLink.cut();
          friendUp = false;
          await until(() => friend.daemon.network.status().every((r) => !r.connected), 'friend offline');
        }
        break;
      case 'return':
        if (!up[i]) {
          links[i]!.restore();
          up[i] = true;
          await new Promise((r) => setTimeout(r, rand() * 400));
          // Not opened afterwards, unlike 'restart': the next write reaches an object not in
          // memory, as an app's push after a daemon restart does (seed 15).
          cs[i] = await cs[i]!.restart();
        }
        break;
      case 'srestart':
        await w.restartServer();
        break;
      case 'frestore':
        if (!friendUp) {
          friendLink.restore();
          friendUp = true;
        }
        break;
    }
  }
  for (let i = 0; i < 3; i++) if (!up[i]) links[i]!.restore();
  if (!friendUp) friendLink.restore();
  await until(() => cs.every((u) => u.daemon.network.status().every((r) => r.connected && r.pending === 0)), 'all quiet', 30_000).catch((err: Error) => {
    const status = cs.map((u, i) => `c${i}: ${u.daemon.network.status().map((r) => `connected ${r.connected}, ${r.pending} pending`).join('; ')}`);
    throw new Error(`${err.message} (${status.join(' | ')})\n${log.join(', ')}`);
  });
  const lasts = [0, 1, 2].filter((i) => writes[i]! > 0).map((i) => `c${i} ${writes[i]}`);
  const everyone = [...cs, friend];
  const agreed = await until(async () => {
    const all = await Promise.all(everyone.map((u) => shownAfterSync(u, ghid)));
    return all.every((s) => s === all[0]) ? all[0]! : null;
  }, 'all agree', 15_000).catch(async () => JSON.stringify(await Promise.all(everyone.map((u) => shownAfterSync(u, ghid)))));
  assert.ok(lasts.length === 0 ? agreed === 'v0' : lasts.includes(agreed), `agreed ${agreed}; lasts ${lasts}\n${log.join(', ')}`);
  // What the server took, in order: nothing acknowledged was lost on the way, and nothing went back.
  const taken = serverStore.statesOf(ghid, first);
  const seen = `the server took ${taken.join(', ')}\n${log.join(', ')}`;
  assert.equal(taken.at(-1), agreed, `everyone shows the last state the server took; ${seen}`);
  for (const last of lasts) assert.ok(taken.includes(last), `${last}, the last write of its computer, reached the server; ${seen}`);
  assert.equal(wentBack(taken), null, `each computer's states reached the server in the order it wrote them; ${seen}`);
});
