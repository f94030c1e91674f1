// Registration challenges taken apart: the in-memory book (sealed here, naming the server, used
// once, within its lifetime, keeping nothing until used, so a flood takes nobody's away), and
// how the page spends a challenge together with an invite code. The proof is in proof.test.ts,
// the cluster's book on PostgreSQL in test/core/postgres/challenges.test.ts.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from '../../../src/core/assembly/server.js';
import { CHALLENGE_TTL_MS, ChallengeBook, NotAServerName, readChallenge } from '../../../src/core/registration/challenges.js';
import { registrationLink } from '../../../src/core/registration/client.js';
import { inviteId } from '../../../src/core/registration/registry.js';
import { RemoteClient } from '../../../src/core/remote/client.js';
import { serverHome } from '../../fixtures/server/helpers.js';
import { FLOOD, NAME, aChallenge, alice, deps, fileRegistry, gidcOf, linkQuery, serveEndpoints, wrapAccounts } from './challenge-helpers.js';

// ============================================================================ the in-memory book

describe('ChallengeBook (one server, in memory)', () => {
  test('issues fresh challenges naming the server they were asked under, with their lifetime', () => {
    const book = new ChallengeBook();
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const { challenge, expiresInMs } = book.issue(i % 2 ? NAME : 'HGX.Example.org');
      assert.match(challenge, /^[A-Za-z0-9_-]+$/);
      assert.equal(Buffer.from(challenge, 'base64url').toString('base64url'), challenge, 'canonical base64url');
      assert.equal(readChallenge(challenge)?.server, i % 2 ? NAME : 'hgx.example.org', 'the name, in lower case');
      assert.equal(expiresInMs, CHALLENGE_TTL_MS);
      seen.add(challenge);
    }
    assert.equal(seen.size, 50);
    assert.equal(book.issued, 50);
    assert.equal(book.spent, 0, 'issuing keeps nothing');
    for (const bad of ['', 'a b', 'host:port', 'host:70000', 'x\nhypergolix registration v2', 'é.example', 'a'.repeat(256)]) {
      assert.throws(() => book.issue(bad), NotAServerName, JSON.stringify(bad));
    }
  });

  test('a challenge is good once: looking does not use it, taking does, and a replay is refused', () => {
    const book = new ChallengeBook();
    const { challenge } = book.issue(NAME);
    assert.equal(book.isLive(challenge), true);
    assert.equal(book.isLive(challenge), true, 'isLive does not use it up');
    assert.equal(book.take(challenge), true);
    assert.equal(book.spent, 1);
    assert.equal(book.take(challenge), false, 'replayed');
    assert.equal(book.isLive(challenge), false);
  });

  test('a challenge released by the request that took it is good again, once', () => {
    const book = new ChallengeBook();
    const { challenge } = book.issue(NAME);
    assert.equal(book.take(challenge), true);
    book.release(challenge);
    assert.equal(book.spent, 0);
    assert.equal(book.take(challenge), true);
    assert.equal(book.take(challenge), false);
    book.release('not a challenge');
    assert.equal(book.spent, 1, 'releasing something else changes nothing');
  });

  test("a challenge this book never sealed is refused: forged, altered, or another server's", () => {
    const here = new ChallengeBook();
    const elsewhere = new ChallengeBook();
    const mine = here.issue(NAME).challenge;
    const theirs = elsewhere.issue(NAME).challenge;
    assert.equal(here.take(theirs), false, "another server's challenge, naming the same name");
    assert.equal(here.take(aChallenge()), false, 'well formed, sealed under another key');
    assert.equal(elsewhere.isLive(theirs), true, 'refusing it elsewhere does not spend it');
    // Each field is sealed: another name, a later expiry or another nonce in the same bytes.
    const raw = Buffer.from(mine, 'base64url');
    for (const [what, at] of [['version', 0], ['expiry', 8], ['nonce', 12], ['name', 27], ['seal', raw.length - 1]] as const) {
      const bent = Buffer.from(raw);
      bent[at] = bent[at]! ^ 0x01; // in the name, 'g' becomes 'f': another well-formed name
      assert.equal(here.take(bent.toString('base64url')), false, what);
    }
    // Case and the unused low bits of the last character matter: only the issued text is good.
    const swapped = mine[0] === mine[0]!.toUpperCase() ? mine[0]!.toLowerCase() + mine.slice(1) : mine[0]!.toUpperCase() + mine.slice(1);
    if (swapped !== mine) assert.equal(here.take(swapped), false, 'a letter of another case');
    const last = mine.at(-1)!;
    const sameBytes = mine.slice(0, -1) + String.fromCharCode(last.charCodeAt(0) + 1);
    if (/^[A-Za-z0-9_-]+$/.test(sameBytes)) assert.equal(here.take(sameBytes), false, 'another text for (nearly) the same bytes');
    assert.equal(here.take(mine), true);
  });

  test('a malformed challenge is a plain refusal, never a throw, and spends nothing', () => {
    const book = new ChallengeBook();
    const { challenge } = book.issue(NAME);
    const malformed = [
      '',
      ' ',
      challenge.slice(0, -1),
      challenge + 'A',
      ` ${challenge}`,
      `${challenge}\n`,
      `${challenge.slice(0, -1)}=`,
      `${challenge.slice(0, -2)}+/`,
      'A'.repeat(43), // an older server's form
      'é'.repeat(challenge.length),
      '\u0000'.repeat(challenge.length),
      'A'.repeat(100_000),
      "'; DROP TABLE registration_challenges; --",
      '__proto__',
      'constructor',
    ];
    for (const m of malformed) {
      assert.doesNotThrow(() => book.isLive(m));
      assert.equal(book.isLive(m), false, JSON.stringify(m.slice(0, 50)));
      assert.equal(book.take(m), false, JSON.stringify(m.slice(0, 50)));
    }
    assert.equal(book.spent, 0);
    assert.equal(book.take(challenge), true, 'the real one is untouched');
  });

  // The default clock is monotonic (below), so it never steps back; an injected one that did
  // would make a challenge good again until its expiry, which the seal carries.
  test('expiry on the injected clock: good until its lifetime ends, not at or after', () => {
    let now = 1_700_000_000_000;
    const book = new ChallengeBook(() => now, 60_000);
    const a = book.issue(NAME).challenge;
    const b = book.issue(NAME).challenge;
    now += 59_999;
    assert.equal(book.isLive(a), true, 'one millisecond left');
    now += 1;
    assert.equal(book.isLive(a), false, 'at its expiry');
    assert.equal(book.take(b), false, 'taken at its expiry');
    now += 60_000;
    assert.equal(book.take(a), false);
  });

  test('spent challenges are remembered until they expire, then forgotten: the seal refuses them alone', () => {
    let now = 1_700_000_000_000;
    const book = new ChallengeBook(() => now, 60_000);
    const early = Array.from({ length: 20 }, () => book.issue(NAME).challenge);
    for (const c of early) assert.equal(book.take(c), true);
    now += 30_000;
    const later = book.issue(NAME).challenge;
    assert.equal(book.take(later), true);
    assert.equal(book.spent, 21);
    now += 30_000;
    assert.equal(book.spent, 1, 'the 20 expired ones are forgotten, the later one is remembered');
    for (const c of early) assert.equal(book.take(c), false, 'expired');
    assert.equal(book.take(later), false, 'still spent');
  });

  test('spent challenges are forgotten whatever order they expire in (an injected clock stepped back)', () => {
    const T = 1_700_000_000_000;
    let now = T;
    const book = new ChallengeBook(() => now, 60_000);
    const early = book.issue(NAME).challenge; // expires at T + 60 s
    now = T - 3_600_000; // the injected clock steps back an hour
    const stale = [book.issue(NAME).challenge, book.issue(NAME).challenge, book.issue(NAME).challenge]; // expire at T - 59 min
    for (const c of [early, ...stale]) assert.equal(book.take(c), true);
    now = T - 3_600_000 + 60_001; // those three are past their time; `early` is not
    assert.equal(book.spent, 1, `only ${early.slice(0, 6)}… is remembered; ${book.spent} counted`);
    for (const c of stale) assert.equal(book.isLive(c), false);
    assert.equal(book.take(early), false, 'still spent');
  });

  test('the default clock measures elapsed time: a challenge issued a moment ago survives the wall clock stepping forward', (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 1_700_000_000_000 });
    const book = new ChallengeBook();
    const { challenge } = book.issue(NAME);
    t.mock.timers.tick(CHALLENGE_TTL_MS + 60_000); // only Date moves: no time has passed
    assert.equal(book.isLive(challenge), true, 'expired by a clock step, not by time');
  });

  // GET /register/challenge is neither authenticated nor rate limited. The book used to keep
  // every challenge issued, dropping the oldest past 10 000: one client fetching that many took
  // away everyone's pending challenge. Sealed challenges keep nothing until used.
  test("one client fetching as many challenges as it likes does not take away another user's pending one", () => {
    const book = new ChallengeBook();
    const mine = book.issue(NAME).challenge;
    for (let i = 0; i < FLOOD; i++) book.issue('flood.example');
    assert.equal(book.spent, 0, 'memory stays bounded: nothing issued is kept');
    assert.equal(book.take(mine), true, "the user's challenge, a moment old, is still good");
  });
});

// ============================================================================ the page spends a challenge

describe('the page spends the challenge and the invite code together', () => {
  // The page takes the challenge before it spends a use of the invite code (and gives the
  // challenge back when the code is refused): the same form submitted twice, a second tab, or
  // the challenge expiring meanwhile never spends a use with nothing registered for it.
  test('a form submitted twice registers once and spends one use of the invite', async (t) => {
    const registry = await fileRegistry(t);
    const code = await registry.createInvite(5, null);
    // Holds the first spend of the code until the second request has got as far (or has been answered).
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const accounts = wrapAccounts(registry, {
      useInvite: async (c, fp) => {
        if (++calls >= 2) release();
        else await gate;
        return registry.useInvite(c, fp);
      },
    });
    const book = new ChallengeBook();
    const { base } = await serveEndpoints(t, deps(accounts, book, 'invite'));
    const form = await linkQuery(alice, book.issue(NAME).challenge);
    form.set('code', code);
    const post = () =>
      fetch(`${base}/register`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() }).then(async (r) => {
        await r.text();
        return r.status;
      }).finally(release);
    const statuses = (await Promise.all([post(), post()])).sort();
    assert.deepEqual(statuses, [200, 403], 'one registers, the other is refused');
    assert.equal(registry.get(alice.ghid.text)?.status, 'registered');
    const invite = registry.invites().find((i) => i.id === inviteId(code));
    assert.equal(invite?.usesLeft, 4, `one registration, ${5 - (invite?.usesLeft ?? 0)} uses of the invite spent`);
  });

  test('a challenge that expires while the code is checked: either registered with the code spent, or neither', async (t) => {
    let now = 1_700_000_000_000;
    const registry = await fileRegistry(t, () => now);
    const code = await registry.createInvite(1, null);
    const book = new ChallengeBook(() => now, 60_000);
    const accounts = wrapAccounts(registry, {
      useInvite: (c, fp) => {
        // The link was opened at the end of its minute: it expires while the code is written.
        now += 2;
        return registry.useInvite(c, fp);
      },
    });
    const { base } = await serveEndpoints(t, deps(accounts, book, 'invite'));
    const form = await linkQuery(alice, book.issue(NAME).challenge);
    form.set('code', code);
    now += 59_999;
    const res = await fetch(`${base}/register`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
    await res.text();
    const registered = registry.get(alice.ghid.text)?.status === 'registered';
    const left = registry.invites().find((i) => i.id === inviteId(code))?.usesLeft;
    assert.equal(left, registered ? 0 : 1, `HTTP ${res.status}; registered: ${registered}; invite uses left: ${left}`);
  });

  test("the accounts' store failing after the challenge was taken gives it back: the same link works once the store does", async (t) => {
    const registry = await fileRegistry(t);
    let failing = true;
    const accounts = wrapAccounts(registry, {
      register: (fp, via) => (failing ? Promise.reject(new Error('disk gone')) : registry.register(fp, via)),
    });
    const book = new ChallengeBook();
    const { base } = await serveEndpoints(t, deps(accounts, book, 'open'));
    const link = await linkQuery(alice, book.issue(NAME).challenge);
    const first = await fetch(`${base}/register?${link}`);
    assert.equal(first.status, 503);
    assert.match(await first.text(), /Try again shortly/);
    assert.equal(book.spent, 0, 'given back');
    failing = false;
    const again = await fetch(`${base}/register?${link}`);
    assert.equal(again.status, 200, await again.text());
    assert.equal(registry.get(alice.ghid.text)?.status, 'registered');
    assert.equal(book.spent, 1);
  });

  test('an invite code spends its use and registers in one write: a store failing at it spends neither, and nothing can fail between them', async (t) => {
    const registry = await fileRegistry(t);
    const code = await registry.createInvite(1, null);
    let failing = true;
    let registerCalls = 0;
    const accounts = wrapAccounts(registry, {
      useInvite: (c, fp) => (failing ? Promise.reject(new Error('disk gone')) : registry.useInvite(c, fp)),
      // Formerly a second write after the use: failing here lost the use with nobody registered.
      register: (fp, via) => (registerCalls++, Promise.reject(new Error(`register(${fp}, ${via}) is not a step of an invite`))),
    });
    const book = new ChallengeBook();
    const { base } = await serveEndpoints(t, deps(accounts, book, 'invite'));
    const form = await linkQuery(alice, book.issue(NAME).challenge);
    form.set('code', code);
    const post = () => fetch(`${base}/register`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
    const first = await post();
    assert.equal(first.status, 503, await first.text());
    assert.equal(registry.invites()[0]?.usesLeft, 1, 'the use is not spent');
    assert.equal(registry.get(alice.ghid.text), null);
    assert.equal(book.spent, 0, 'the challenge is given back');
    failing = false;
    const again = await post();
    assert.equal(again.status, 200, await again.text());
    assert.deepEqual([registry.get(alice.ghid.text)?.status, registry.get(alice.ghid.text)?.via], ['registered', 'invite']);
    assert.equal(registry.invites()[0]?.usesLeft, 0);
    assert.equal(registerCalls, 0);
  });

  test('a link for an account already registered only says so: nothing changes and nothing is remembered', async (t) => {
    const registry = await fileRegistry(t);
    await registry.register(alice.ghid.text, 'operator');
    const book = new ChallengeBook();
    const { base } = await serveEndpoints(t, deps(registry, book, 'open'));
    const link = await linkQuery(alice, book.issue(NAME).challenge);
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${base}/register?${link}`);
      assert.equal(res.status, 200);
      assert.match(await res.text(), /Already registered/);
    }
    assert.equal(book.spent, 0);
    assert.equal(registry.get(alice.ghid.text)?.via, 'operator');
  });
});

// ============================================================================ the server's flood

describe('a real server under a challenge flood', () => {
  // As "one client fetching as many challenges…" above, end to end: the server's HTTP listener
  // answers every request for a challenge, and keeps nothing of them.
  test("a user's signed link still registers after another client fetched 10 000 challenges", async (t) => {
    const home = await serverHome({ registration: 'open' });
    const running = await startServer({ ...home.config, server: { ...home.config.server, port: 0 } });
    t.after(() => running.close());
    const c = new RemoteClient({ host: '127.0.0.1', port: running.address.port });
    c.start();
    await c.whenConnected(5000);
    await c.publish(gidcOf(alice.ghid.text));
    await c.close();
    const base = `http://127.0.0.1:${running.address.port}`;
    const link = await registrationLink({ host: '127.0.0.1', port: running.address.port, tls: false }, alice);

    const statuses = new Map<number, number>();
    let sent = 0;
    const flooder = async (): Promise<void> => {
      while (sent < FLOOD) {
        sent++;
        const r = await fetch(`${base}/register/challenge`);
        await r.arrayBuffer();
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: 8 }, flooder));
    t.diagnostic(`flood answers: ${[...statuses].map(([s, n]) => `${s}×${n}`).join(', ')}`);

    const res = await fetch(link);
    const page = await res.text();
    assert.equal(res.status, 200, /<h1[^>]*>([^<]*)/.exec(page)?.[1] ?? page.slice(0, 200));
    assert.equal(running.accounts!.get(alice.ghid.text)?.status, 'registered');
  });
});

