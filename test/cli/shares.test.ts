// `hypergolix shares` and `hypergolix contacts` as a user runs them: real processes (a server,
// two app daemons with their own accounts), an SDK app sharing from A, the CLI answering at B.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { HGXLink, JsonObj } from '../../packages/hgx/src/index.js';
import type { ContactJson, ShareJson } from '../../src/wire/people.js';
import { until } from '../fixtures/wait.js';
import { describeShare } from '../../src/cli/commands/shares.js';
import { appHome, startApp, startServer, type AppHome } from '../fixtures/ipc/processes.js';

const CLI = fileURLToPath(new URL('../fixtures/ipc/cli.ts', import.meta.url));
const TSX = `--import=${pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href}`;

function hgx(h: AppHome, ...args: string[]): Promise<{ code: number; out: string; err: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [TSX, CLI, ...args], { env: h.env, cwd: h.dir, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (err += d));
    // A command that hangs fails here, named, rather than the whole test at its timeout.
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? 1, out, err: signal ? `${err}\n(hypergolix ${args.join(' ')}: killed after 60 s)` : err });
    });
  });
}

async function ok(h: AppHome, ...args: string[]): Promise<string> {
  const r = await hgx(h, ...args);
  if (process.env.HGX_TEST_LOG) console.error('$ hypergolix', args.join(' '), '→', r.code, r.out.slice(0, 300), r.err.slice(0, 300));
  assert.equal(r.code, 0, `hypergolix ${args.join(' ')}: ${r.err}`);
  return r.out;
}

const jsonLines = <T>(out: string): T[] => out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as T);

test('shares and contacts from the CLI: consent as the words say, against real daemons and a server', { timeout: 600_000 }, async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const homeA = await appHome('a', server.port, 'all');
  const homeB = await appHome('b', server.port, 'ask');
  const [procA, procB] = await Promise.all([startApp(homeA), startApp(homeB)]);
  t.after(() => Promise.all([procA.stop(), procB.stop()]));
  const la = await HGXLink.connect({ port: homeA.ipcPort, tokenFile: homeA.tokenFile });
  t.after(() => la.close());
  const A = procA.fingerprint;
  const B = procB.fingerprint;

  const shareFromA = async (state: { note: string }) => {
    const obj = await la.new(JsonObj, state);
    const outcome = new Promise<string>((resolve) => {
      obj.on('shared', () => resolve('accepted'));
      obj.on('share-failed', () => resolve('declined'));
    });
    await obj.share(B);
    return { obj, outcome };
  };
  const waitingAtB = async (n: number) => {
    let waiting: ShareJson[] = [];
    await until(async () => {
      waiting = jsonLines<ShareJson>(await ok(homeB, 'shares', 'list', '--json')).filter((s) => s.state === 'waiting');
      return waiting.length === n;
    }, `${n} share(s) waiting at B`, 30_000);
    return waiting;
  };

  assert.equal(await ok(homeB, 'contacts', 'list', '--json'), '');
  assert.match(await ok(homeB, 'contacts'), /No contacts yet/);

  // A stranger's share waits, showing who ("someone not in your contacts") and what.
  const first = await shareFromA({ note: 'one' });
  const [w1] = await waitingAtB(1);
  assert.deepEqual([w1!.direction, w1!.from, w1!.name, w1!.object, w1!.type, w1!.size], ['incoming', A, null, first.obj.ghid, 'JSON', JSON.stringify({ note: 'one' }).length]);
  assert.match(await ok(homeB, 'shares'), /Waiting for you:\n {2}id \S+\n {4}from someone not in your contacts/);
  // At A, the same share waits for B, not for A: listed with what A sent, nothing to answer;
  // B is a contact of A's now (A shared with B), without a name.
  const atA = await ok(homeA, 'shares');
  assert.match(atA, new RegExp(`^Waiting for you: none\\nShared with you: none\\nShared by you:\\n {2}${first.obj.ghid.replace(/[-=]/g, '\\$&')} {2}to an unnamed contact \\(${B.replace(/[-=]/g, '\\$&')}\\) — waiting, `));
  assert.doesNotMatch(atA, /Answer with/);

  // Naming A shows the name wherever A appears; accept once leaves A at "ask me".
  assert.match(await ok(homeB, 'contacts', 'add', A, 'Alice', 'Liddell'), /Added: Alice Liddell/);
  assert.equal(jsonLines<ShareJson>(await ok(homeB, 'shares', 'list', '--json'))[0]!.name, 'Alice Liddell');
  assert.match(await ok(homeB, 'shares', 'accept', w1!.id), /Accepted once/);
  assert.equal(await first.outcome, 'accepted');
  assert.deepEqual(jsonLines<ContactJson>(await ok(homeB, 'contacts', 'list', '--json')), [{ fingerprint: A, name: 'Alice Liddell', trust: 'ask', verified: false }]);

  // The next share asks again; accept and trust makes the one after arrive at once.
  const second = await shareFromA({ note: 'two' });
  const [w2] = await waitingAtB(1);
  assert.match(await ok(homeB, 'shares', 'accept', w2!.id, '--trust'), /without asking you/);
  assert.equal(await second.outcome, 'accepted');
  const third = await shareFromA({ note: 'three' });
  assert.equal(await third.outcome, 'accepted');
  await waitingAtB(0);
  const inAtB = jsonLines<ShareJson>(await ok(homeB, 'shares', 'list', '--json')).filter((s) => s.state === 'accepted');
  assert.deepEqual(new Set(inAtB.map((s) => s.object)), new Set([first, second, third].map((s) => s.obj.ghid)));

  // A sees each recipient's answer; B is a trusted contact at A (A shared with B).
  const outAtA = jsonLines<ShareJson>(await ok(homeA, 'shares', 'list', '--json'));
  assert.ok(outAtA.length === 3 && outAtA.every((s) => s.direction === 'outgoing' && s.to === B && s.state === 'accepted' && s.type === 'JSON'));
  assert.equal(jsonLines<ContactJson>(await ok(homeA, 'contacts', 'list', '--json'))[0]!.trust, 'trusted');

  // A deletes the first object (through the SDK): both lists say so, each in its words.
  await first.obj.delete();
  await until(async () => /Deleted by Alice Liddell: it can no longer be opened \(/.test(await ok(homeB, 'shares')), "B's list to say A deleted it", 30_000);
  assert.match(await ok(homeA, 'shares'), /Deleted by you: nobody can open it any more \(/);
  assert.equal(typeof jsonLines<ShareJson>(await ok(homeB, 'shares', 'list', '--json')).find((s) => s.object === first.obj.ghid)!.deletedAt, 'number');

  // Back to "ask me", then decline: A is told. Then block: declined without asking.
  await ok(homeB, 'contacts', 'ask', A);
  // A share A deletes while it waits: accepting it says why it cannot be, and it is gone from the list.
  const doomed = await shareFromA({ note: 'gone before it was answered' });
  const [wd] = await waitingAtB(1);
  await doomed.obj.delete();
  await until(async () => (await la.status()).remotes.every((r) => r.waiting === 0), "A's delete to reach the server", 30_000);
  const late = await hgx(homeB, 'shares', 'accept', wd!.id);
  assert.deepEqual([late.code, /cannot be accepted: its object is on no server any more: its sender deleted it after sharing it\. It was declined and removed/.test(late.err)], [1, true], late.err);
  await waitingAtB(0);
  // A's app let go of the object as it deleted it, so A hears the answer in its list only.
  await until(async () => jsonLines<ShareJson>(await ok(homeA, 'shares', 'list', '--json')).find((s) => s.object === doomed.obj.ghid)?.state === 'declined', "A's list to hold B's answer", 30_000);
  const fourth = await shareFromA({ note: 'four' });
  const [w4] = await waitingAtB(1);
  assert.match(await ok(homeB, 'shares', 'decline', w4!.id), /Declined/);
  assert.equal(await fourth.outcome, 'declined');
  assert.match(await ok(homeB, 'contacts', 'block', A), /Blocked/);
  const fifth = await shareFromA({ note: 'five' });
  assert.equal(await fifth.outcome, 'declined');
  await waitingAtB(0);

  // The safety code is the same on both sides; --yes marks the contact verified.
  const codeAtB = /Safety code: ((?:[a-z]+ ){5}[a-z]+)/.exec(await ok(homeB, 'contacts', 'verify', A))?.[1];
  const codeAtA = /Safety code: ((?:[a-z]+ ){5}[a-z]+)/.exec(await ok(homeA, 'contacts', 'verify', B, '--yes'))?.[1];
  assert.ok(codeAtB && codeAtB === codeAtA, `${codeAtB} / ${codeAtA}`);
  assert.equal(jsonLines<ContactJson>(await ok(homeA, 'contacts', 'list', '--json'))[0]!.verified, true);

  // Rename and remove; bad input is a clear error, not a crash.
  assert.match(await ok(homeB, 'contacts', 'rename', A, 'Al'), /Renamed: Al /);
  const bad = await hgx(homeB, 'contacts', 'rename', 'AfzpefQWOn', 'x');
  assert.deepEqual([bad.code, /not a fingerprint/.test(bad.err)], [1, true], bad.err);
  const gone = await hgx(homeB, 'shares', 'accept', w4!.id);
  assert.deepEqual([gone.code, /is waiting/.test(gone.err)], [1, true], gone.err);
  const usage = await hgx(homeB, 'shares', 'accept');
  assert.deepEqual([usage.code, /takes one ID/.test(usage.err)], [2, true], usage.err);
  await ok(homeB, 'contacts', 'remove', A);
  assert.equal(await ok(homeB, 'contacts', 'list', '--json'), '');
});

test('a share whose object its author deleted says so under it: by them for one received, by you for one sent', () => {
  const object = 'A' + 'b'.repeat(87);
  const received: ShareJson = { id: object, direction: 'incoming', state: 'accepted', from: 'A' + 'c'.repeat(87), name: null, contact: true, object, apiId: null, type: 'JSON', size: 12, time: Date.UTC(2026, 11, 1, 9, 30) };
  assert.doesNotMatch(describeShare(received), /Deleted/);
  assert.equal(describeShare({ ...received, deletedAt: Date.UTC(2026, 11, 7, 23, 40) }).split('\n')[2], '    Deleted by an unnamed contact: it can no longer be opened (2026-12-07 23:40)');
  const sent: ShareJson = { ...received, direction: 'outgoing', from: undefined, to: received.from, deletedAt: Date.UTC(2026, 11, 7, 23, 41) };
  assert.equal(describeShare(sent).split('\n')[2], '    Deleted by you: nobody can open it any more (2026-12-07 23:41)');
});

test('a share this computer can no longer read says so, and whom it asked to share it again', () => {
  const object = 'A' + 'b'.repeat(87);
  const share: ShareJson = { id: object, direction: 'incoming', state: 'accepted', from: 'A' + 'c'.repeat(87), name: 'Alice', object, apiId: null, type: 'JSON', size: 12, time: Date.UTC(2026, 11, 1, 9, 30) };
  assert.doesNotMatch(describeShare(share), /Cannot be read/);
  const lines = describeShare({ ...share, askedAgain: Date.UTC(2026, 11, 5, 8, 15) }).split('\n');
  assert.equal(lines[2], '    Cannot be read on this computer (it missed too many versions while it was off); asked Alice to share it again (2026-12-05 08:15)');
});
