// What hears a network that changes under a running daemon (daemon/network-changes.ts): the
// addresses and the links' counts of changes read at an interval, the remotes checked once per
// change, never twice at a time.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NetworkChanges, externalAddresses, linkChanges } from '../../../src/core/daemon/network-changes.js';
import { memoryLogger, sleep, waitFor } from '../../fixtures/remote/helpers.js';

function watched(first: string[], o: { changed?: () => Promise<void> } = {}) {
  let addresses = first;
  let links = new Map<string, number>();
  let linksFail: Error | null = null;
  let fail: Error | null = null;
  const logger = memoryLogger();
  const checks: number[] = [];
  let release: (() => void) | null = null;
  let hold = false;
  const w = new NetworkChanges(
    {
      changed: async () => {
        checks.push(Date.now());
        if (hold) await new Promise<void>((r) => (release = r));
        await o.changed?.();
      },
      logger,
    },
    {
      intervalMs: 10,
      addresses: () => {
        if (fail) throw fail;
        return addresses;
      },
      links: () => {
        if (linksFail) throw linksFail;
        return links;
      },
    },
  );
  return {
    w,
    logger,
    checks,
    set: (a: string[]) => (addresses = a),
    setLinks: (l: Record<string, number>) => (links = new Map(Object.entries(l))),
    failLinksWith: (e: Error) => (linksFail = e),
    failWith: (e: Error) => (fail = e),
    holdChecks: () => (hold = true),
    release: () => (hold = false, release?.()),
  };
}

test('the first reading is what later ones are compared with; a new address checks the remotes once, and says what changed', async (t) => {
  const n = watched(['192.168.1.20']);
  t.after(() => n.w.stop());
  n.w.start();
  await sleep(60);
  assert.equal(n.checks.length, 0, 'nothing changed: nothing asked');
  n.set(['192.168.1.20', '10.0.0.7']);
  await waitFor(() => n.checks.length === 1, 2000, 'a check');
  await sleep(60);
  assert.equal(n.checks.length, 1, 'once per change, not at each reading');
  assert.ok(n.logger.lines.some((l) => l === 'info network changed (new: 10.0.0.7): checking the remotes at once'), n.logger.lines.join(' | '));

  // Wi-Fi left: the link out of it may be dead without either end knowing, so a loss checks too.
  n.set(['10.0.0.7']);
  await waitFor(() => n.checks.length === 2, 2000, 'a check at the loss');
  assert.ok(n.logger.lines.some((l) => l.includes('network changed (gone: 192.168.1.20)')));
  n.set(['192.168.1.21']);
  await waitFor(() => n.checks.length === 3, 2000, 'another network joined');
  assert.ok(n.logger.lines.some((l) => l.includes('(new: 192.168.1.21; gone: 10.0.0.7)')));
});

test('changes seen while a check runs make one check after it, not one each', async (t) => {
  const n = watched(['a']);
  t.after(() => n.w.stop());
  n.holdChecks();
  n.w.start();
  n.set(['a', 'b']);
  await waitFor(() => n.checks.length === 1, 2000, 'the first check');
  n.set(['a', 'b', 'c']);
  await sleep(40);
  n.set(['a']);
  await sleep(40);
  assert.equal(n.checks.length, 1, 'one check at a time');
  n.release();
  await waitFor(() => n.checks.length === 2, 2000, 'the one after');
  await n.w.settled();
  await sleep(40);
  assert.equal(n.checks.length, 2);
});

test('a check that fails is logged and the watching goes on; addresses that cannot be read stop it, said once', async (t) => {
  const n = watched(['a'], { changed: () => Promise.reject(new Error('no remotes')) });
  t.after(() => n.w.stop());
  n.w.start();
  n.set(['b']);
  await waitFor(() => n.logger.lines.some((l) => l === 'warn network: checking the remotes failed: no remotes'), 2000, 'the failure logged');
  n.set(['c']);
  await waitFor(() => n.checks.length === 2, 2000, 'watching went on');
  n.failWith(new Error('EPERM'));
  await waitFor(() => n.logger.lines.some((l) => l.includes("addresses cannot be read (EPERM); a network that comes back is found by the remotes' own tries")), 2000, 'said');
  await sleep(60);
  assert.equal(n.logger.lines.filter((l) => l.includes('cannot be read')).length, 1, 'said once, and no longer read');
});

test("addresses that cannot be read at the start: nothing is watched; stop() ends the readings", async () => {
  const n = watched(['a']);
  n.failWith(new Error('ENOSYS'));
  n.w.start();
  assert.ok(n.logger.lines.some((l) => l.includes('(ENOSYS)')));
  const m = watched(['a']);
  m.w.start();
  m.w.stop();
  m.set(['b']);
  await sleep(50);
  assert.equal(m.checks.length, 0, 'stopped: nothing read');
});

test('a link that went down and up with the same addresses checks the remotes, and says which; a new or gone interface alone does not', async (t) => {
  const n = watched(['192.168.1.20']);
  t.after(() => n.w.stop());
  n.setLinks({ eth0: 2, wlan0: 7 });
  n.w.start();
  await sleep(40);
  n.setLinks({ eth0: 4, wlan0: 7 });
  await waitFor(() => n.checks.length === 1, 2000, 'a check at the cable plugged in again');
  assert.ok(n.logger.lines.some((l) => l === 'info network changed (link down or up: eth0): checking the remotes at once'), n.logger.lines.join(' | '));
  n.setLinks({ eth0: 4, wlan0: 7, usb0: 0 });
  await sleep(40);
  n.setLinks({ eth0: 4, usb0: 0 });
  await sleep(40);
  assert.equal(n.checks.length, 1, 'an interface coming or going is told by its addresses, if it has any');
  n.failLinksWith(new Error('EACCES'));
  await sleep(40);
  n.set(['192.168.1.20', '10.0.0.9']);
  await waitFor(() => n.checks.length === 2, 2000, 'the addresses still watched when the links cannot be read');
});

test('the links read from sysfs: each interface but loopback with its count; what cannot be read is left out', { skip: process.platform !== 'linux' && 'sysfs is Linux' }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'hgx-sysnet-'));
  for (const [name, count] of [['lo', '0'], ['eth0', '3\n'], ['wlan0', 'not a number'], ['gone', null]] as const) {
    mkdirSync(join(dir, name));
    if (count !== null) writeFileSync(join(dir, name, 'carrier_changes'), count);
  }
  assert.deepEqual([...linkChanges(dir)], [['eth0', 3]]);
  assert.deepEqual([...linkChanges(join(dir, 'nowhere'))], [], 'no sysfs: no links, no error');
  for (const [name, count] of linkChanges()) assert.ok(name !== 'lo' && Number.isSafeInteger(count), name);
});

// The kernel's own count: a veth pair made for the test, its peer taken down. Needs root (or
// CAP_NET_ADMIN) and a kernel that makes veth pairs; skips, saying so, where refused.
test("a real link's change is heard through the kernel's count", { skip: process.platform !== 'linux' && 'veth pairs are Linux' }, async (t) => {
  const name = `hgxt${process.pid % 100_000}`;
  try {
    execFileSync('ip', ['link', 'add', name, 'type', 'veth', 'peer', 'name', `${name}p`], { stdio: 'pipe' });
  } catch (err) {
    return t.skip(`cannot make a veth pair here: ${String((err as { stderr?: Buffer }).stderr ?? err).trim().split('\n')[0]}`);
  }
  t.after(() => execFileSync('ip', ['link', 'del', name], { stdio: 'ignore' }));
  execFileSync('ip', ['link', 'set', name, 'up']);
  execFileSync('ip', ['link', 'set', `${name}p`, 'up']);
  await waitFor(() => (linkChanges().get(name) ?? 0) > 0, 5000, 'the pair up');
  const logger = memoryLogger();
  let checks = 0;
  // The addresses stay the same: only the link's count can tell.
  const w = new NetworkChanges({ changed: async () => void checks++, logger }, { intervalMs: 20, addresses: () => ['192.0.2.10'] });
  t.after(() => w.stop());
  w.start();
  await sleep(60);
  const before = checks;
  execFileSync('ip', ['link', 'set', `${name}p`, 'down']);
  await waitFor(() => checks > before, 5000, 'a check at the link going down');
  assert.ok(logger.lines.some((l) => l.includes(`link down or up: ${name}`)), logger.lines.join(' | '));
});

test("this computer's own addresses: text, loopback left out", () => {
  for (const a of externalAddresses()) {
    assert.equal(typeof a, 'string');
    assert.ok(a !== '127.0.0.1' && a !== '::1', a);
  }
});
