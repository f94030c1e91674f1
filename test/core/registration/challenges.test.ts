// Registration challenges and their proofs, taken apart: the in-memory book (issued here, used
// once, within its lifetime, bounded), the signature over a challenge (only the account's own,
// over exactly these bytes; anything malformed a plain false), how the page spends a challenge
// together with an invite code, and the cluster's book on a real throwaway PostgreSQL (many
// nodes racing for one challenge, expired rows swept, the database restarting meanwhile).
//
// Some tests here state what should hold and fail against the current code; each names the
// defect it shows.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PublicIdentity } from '../../../src/core/golix/index.js';
import { startServer } from '../../../src/core/assembly/server.js';
import { PgChallengeBook } from '../../../src/core/postgres/challenges.js';
import { openPool } from '../../../src/core/postgres/connect.js';
import { PgRegistry } from '../../../src/core/postgres/registry.js';
import { CHALLENGE, CHALLENGE_TTL_MS, ChallengeBook, MAX_CHALLENGES, newChallenge, type Challenges } from '../../../src/core/registration/challenges.js';
import { registrationLink } from '../../../src/core/registration/client.js';
import { RegistrationEndpoints, type RegistrationDeps } from '../../../src/core/registration/http.js';
import { registrationMessage, signChallenge, verifyChallenge } from '../../../src/core/registration/proof.js';
import { FileRegistry, inviteId, type AccountRegistry } from '../../../src/core/registration/registry.js';
import { RemoteClient } from '../../../src/core/remote/client.js';
import { POSTGRES_SKIP, startPostgres, type TestPostgres } from '../../fixtures/postgres.js';
import { serverHome } from '../../fixtures/server/helpers.js';
import { v16Identity, v16Objects } from '../../fixtures/vectors.js';
import { until } from '../../fixtures/wait.js';

type After = { after(fn: () => void | Promise<void>): void };

const alice = v16Identity(0);
const bob = v16Identity(1);
const carol = v16Identity(2);

/** The reference identities' GIDCs by fingerprint, as a server holds them. */
const GIDCS = new Map(
  v16Objects()
    .filter((o) => o.obj.type === 'GIDC')
    .map((o) => [PublicIdentity.fromBytes(o.raw).ghid.text, o.raw] as const),
);
function gidcOf(fp: string): Buffer {
  const raw = GIDCS.get(fp);
  assert.ok(raw, `no reference GIDC for ${fp}`);
  return raw;
}

/** A plain HTTP listener on a free port; closed after the test. */
async function listen(t: After, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ base: string; host: string; port: number }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  t.after(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  const { port } = server.address() as { port: number };
  return { base: `http://127.0.0.1:${port}`, host: '127.0.0.1', port };
}

/** Registration endpoints alone on their own listener (what the server mounts on its HTTP port). */
async function serveEndpoints(t: After, deps: RegistrationDeps): Promise<{ base: string; endpoints: RegistrationEndpoints }> {
  const endpoints = new RegistrationEndpoints(() => deps);
  const { base } = await listen(t, (req, res) => {
    if (!endpoints.handle(req, res)) {
      res.writeHead(404);
      res.end();
    }
  });
  return { base, endpoints };
}

async function fileRegistry(t: After, now: () => number = Date.now): Promise<FileRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'hgx-challenges-'));
  const registry = await FileRegistry.open(join(dir, 'ghidcache.accounts'), now);
  t.after(async () => {
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return registry;
}

function deps(accounts: AccountRegistry, challenges: Challenges, policy: RegistrationDeps['policy'] = 'open', identityOf?: RegistrationDeps['identityOf']): RegistrationDeps {
  return {
    policy,
    accounts,
    challenges,
    identityOf: identityOf ?? (async (fp) => GIDCS.get(fp.text) ?? null),
    usedBytes: () => 0,
    freeBytes: 10 * 1024 * 1024,
    webhookSecret: null,
  };
}

/** A signed link's query for `who` over `challenge`. */
async function linkQuery(who = alice, challenge: string): Promise<URLSearchParams> {
  return new URLSearchParams({ fingerprint: who.ghid.text, challenge, signature: await signChallenge(who, challenge) });
}

// ============================================================================ the in-memory book

describe('ChallengeBook (one server, in memory)', () => {
  test('issues fresh 32-byte base64url challenges with their lifetime', () => {
    const book = new ChallengeBook();
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const { challenge, expiresInMs } = book.issue();
      assert.match(challenge, CHALLENGE);
      assert.equal(Buffer.from(challenge, 'base64url').length, 32);
      assert.equal(Buffer.from(challenge, 'base64url').toString('base64url'), challenge, 'canonical base64url');
      assert.equal(expiresInMs, CHALLENGE_TTL_MS);
      seen.add(challenge);
    }
    assert.equal(seen.size, 50);
    assert.equal(book.size, 50);
    assert.match(newChallenge(), CHALLENGE);
  });

  test('a challenge is good once: looking does not use it, taking does, and a replay is refused', () => {
    const book = new ChallengeBook();
    const { challenge } = book.issue();
    assert.equal(book.isLive(challenge), true);
    assert.equal(book.isLive(challenge), true, 'isLive does not use it up');
    assert.equal(book.take(challenge), true);
    assert.equal(book.size, 0);
    assert.equal(book.take(challenge), false, 'replayed');
    assert.equal(book.isLive(challenge), false);
  });

  test("a challenge this book never issued is refused: forged, or another server's", () => {
    const here = new ChallengeBook();
    const elsewhere = new ChallengeBook();
    const mine = here.issue().challenge;
    const theirs = elsewhere.issue().challenge;
    assert.equal(here.take(theirs), false, "another server's challenge");
    assert.equal(here.take(newChallenge()), false, 'well formed, never issued');
    assert.equal(elsewhere.isLive(theirs), true, 'refusing it elsewhere does not spend it');
    // Case and the unused low bits of the last character matter: only the issued text is good.
    const swapped = mine[0] === mine[0]!.toUpperCase() ? mine[0]!.toLowerCase() + mine.slice(1) : mine[0]!.toUpperCase() + mine.slice(1);
    if (swapped !== mine) assert.equal(here.take(swapped), false, 'a letter of another case');
    const last = mine.at(-1)!;
    const sameBytes = mine.slice(0, -1) + String.fromCharCode(last.charCodeAt(0) + 1);
    if (CHALLENGE.test(sameBytes)) assert.equal(here.take(sameBytes), false, 'another text for (nearly) the same bytes');
    assert.equal(here.take(mine), true);
  });

  test('a malformed challenge is a plain refusal, never a throw, and spends nothing', () => {
    const book = new ChallengeBook();
    const { challenge } = book.issue();
    const malformed = [
      '',
      ' ',
      challenge.slice(0, 42),
      challenge + 'A',
      ` ${challenge}`,
      `${challenge}\n`,
      `${challenge.slice(0, 42)}=`,
      `${challenge.slice(0, 41)}+/`,
      'é'.repeat(43),
      '\u0000'.repeat(43),
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
    assert.equal(book.size, 1);
    assert.equal(book.take(challenge), true, 'the real one is untouched');
  });

  test('expiry on the injected clock: good until its lifetime ends, not at or after, and not revived by a clock stepped back', () => {
    let now = 1_700_000_000_000;
    const book = new ChallengeBook(() => now, 60_000);
    const a = book.issue().challenge;
    const b = book.issue().challenge;
    now += 59_999;
    assert.equal(book.isLive(a), true, 'one millisecond left');
    now += 1;
    assert.equal(book.isLive(a), false, 'at its expiry');
    assert.equal(book.take(b), false, 'taken at its expiry');
    now -= 30_000;
    assert.equal(book.take(a), false, 'once refused as expired, a clock stepped back does not bring it back');
    assert.equal(book.take(b), false);
  });

  test('expired challenges are swept when new ones are issued', () => {
    let now = 1_700_000_000_000;
    const book = new ChallengeBook(() => now, 60_000);
    for (let i = 0; i < 20; i++) book.issue();
    now += 30_000;
    const later = book.issue().challenge;
    now += 30_001;
    assert.equal(book.size, 21);
    book.issue();
    assert.equal(book.size, 2, 'the 20 expired ones are gone, the later one and the new one stay');
    assert.equal(book.isLive(later), true);
  });

  test('outstanding challenges are capped: beyond the cap the oldest go, and the size never passes it', () => {
    const book = new ChallengeBook(Date.now, CHALLENGE_TTL_MS, 5);
    const issued = Array.from({ length: 12 }, () => book.issue().challenge);
    assert.equal(book.size, 5);
    for (const c of issued.slice(0, 7)) assert.equal(book.isLive(c), false);
    for (const c of issued.slice(7)) assert.equal(book.isLive(c), true);
  });

  // DEFECT: challenges.ts:73-79 (sweep) stops at the first challenge not yet expired, assuming
  // issue order is expiry order. With the wall clock (the default, Date.now) stepped back, later
  // challenges expire before earlier ones: the expired ones stay, counted in /metrics
  // ("issued and not yet used or expired") and against the cap, until the earlier one expires.
  test('a wall clock stepped back does not keep expired challenges outstanding (swept and not counted)', () => {
    const T = 1_700_000_000_000;
    let now = T;
    const book = new ChallengeBook(() => now, 60_000);
    const early = book.issue().challenge; // expires at T + 60 s
    now = T - 3_600_000; // NTP steps the clock back an hour
    const stale = [book.issue().challenge, book.issue().challenge, book.issue().challenge]; // expire at T - 59 min
    now = T - 3_600_000 + 60_001; // those three are past their time; `early` is not
    const fresh = book.issue().challenge; // sweeps
    assert.equal(book.size, 2, `only ${early.slice(0, 6)}… and ${fresh.slice(0, 6)}… are outstanding; ${book.size} counted`);
    for (const s of stale) assert.equal(book.isLive(s), false);
  });

  // DEFECT: challenges.ts:37 takes the wall clock (Date.now) by default, so a challenge's life
  // follows clock steps instead of elapsed time: stepped forward (NTP, a VM's clock corrected),
  // every outstanding challenge dies at once; stepped back, they outlive their ten minutes by
  // the size of the step.
  test('the default clock measures elapsed time: a challenge issued a moment ago survives the wall clock stepping forward', (t) => {
    t.mock.timers.enable({ apis: ['Date'], now: 1_700_000_000_000 });
    const book = new ChallengeBook();
    const { challenge } = book.issue();
    t.mock.timers.tick(CHALLENGE_TTL_MS + 60_000); // only Date moves: no time has passed
    assert.equal(book.isLive(challenge), true, 'expired by a clock step, not by time');
  });

  // DEFECT: challenges.ts:44 drops the oldest outstanding challenges once MAX_CHALLENGES are
  // outstanding, and GET /register/challenge is neither authenticated nor rate limited: one
  // client fetching 10 000 challenges (a few seconds of requests) takes away every other user's
  // pending challenge, and keeps doing so as long as it keeps fetching. The user's freshly
  // signed link then says "expired or already used".
  test("one client fetching MAX_CHALLENGES challenges does not take away another user's pending one", { todo: 'known: the book evicts the oldest at its cap; stateless (HMAC) challenges would need no cap' }, () => {
    const book = new ChallengeBook();
    const mine = book.issue().challenge;
    for (let i = 0; i < MAX_CHALLENGES; i++) book.issue();
    assert.ok(book.size <= MAX_CHALLENGES, 'memory stays bounded');
    assert.equal(book.take(mine), true, "the user's challenge, a moment old, was evicted by someone else's flood");
  });
});

// ============================================================================ the proof

describe('the proof: the account signs the challenge and its own fingerprint', () => {
  test('the account\'s signature over a challenge verifies, for each reference identity', async () => {
    for (const me of [alice, bob, carol]) {
      const challenge = newChallenge();
      const signature = await signChallenge(me, challenge);
      assert.match(signature, /^[A-Za-z0-9_-]+$/);
      assert.equal(await verifyChallenge(gidcOf(me.ghid.text), me.ghid.text, challenge, signature), true);
    }
  });

  test('signed bytes: a context line, the challenge, the fingerprint; each part changes them', () => {
    const c = newChallenge();
    const m = registrationMessage(c, alice.ghid.text);
    assert.equal(m.toString('utf8'), `hypergolix registration v1\n${c}\n${alice.ghid.text}`);
    assert.notDeepEqual(registrationMessage(newChallenge(), alice.ghid.text), m);
    assert.notDeepEqual(registrationMessage(c, bob.ghid.text), m);
    // No Golix object starts with the context line (they start with their magic).
    for (const o of v16Objects()) assert.notDeepEqual(o.raw.subarray(0, 11), m.subarray(0, 11));
  });

  test('refused: another identity\'s key, another fingerprint, other bytes signed, a damaged signature', async () => {
    const challenge = newChallenge();
    const good = await signChallenge(alice, challenge);
    const A = gidcOf(alice.ghid.text);
    const B = gidcOf(bob.ghid.text);
    const cases: [string, Promise<boolean>][] = [
      // Bob signs Alice's fingerprint with his own key.
      ['another key over the victim\'s fingerprint', (async () => verifyChallenge(A, alice.ghid.text, challenge, (await bob.sign(registrationMessage(challenge, alice.ghid.text))).toString('base64url')))()],
      // Alice's signature presented as Bob's (his GIDC, his fingerprint).
      ['a good signature under another identity', verifyChallenge(B, bob.ghid.text, challenge, good)],
      // Bob's GIDC with Alice's fingerprint: the fingerprint must be the GIDC's own.
      ['a fingerprint that is not the GIDC\'s', verifyChallenge(B, alice.ghid.text, challenge, good)],
      ['a fingerprint that is not the GIDC\'s (2)', verifyChallenge(A, bob.ghid.text, challenge, good)],
      ['another challenge', verifyChallenge(A, alice.ghid.text, newChallenge(), good)],
      // The same key over other bytes: no context line; the fingerprint left out; another's fingerprint.
      ['no context line', (async () => verifyChallenge(A, alice.ghid.text, challenge, (await alice.sign(Buffer.from(`${challenge}\n${alice.ghid.text}`))).toString('base64url')))()],
      ['the challenge alone', (async () => verifyChallenge(A, alice.ghid.text, challenge, (await alice.sign(Buffer.from(challenge))).toString('base64url')))()],
      ['signed naming another fingerprint', (async () => verifyChallenge(A, alice.ghid.text, challenge, (await alice.sign(registrationMessage(challenge, bob.ghid.text))).toString('base64url')))()],
      ['a challenge with a fingerprint smuggled in', (async () => verifyChallenge(A, alice.ghid.text, challenge, await signChallenge(alice, `${challenge}\n${bob.ghid.text}`)))()],
      ["the last 512 bytes of a Golix object", verifyChallenge(A, alice.ghid.text, challenge, v16Objects().find((o) => o.obj.type !== 'GIDC')!.raw.subarray(-512).toString('base64url'))],
    ];
    const sig = Buffer.from(good, 'base64url');
    for (const i of [0, 100, sig.length - 1]) {
      const bent = Buffer.from(sig);
      bent[i] = bent[i]! ^ 0x01;
      cases.push([`bit flipped at byte ${i}`, verifyChallenge(A, alice.ghid.text, challenge, bent.toString('base64url'))]);
    }
    cases.push(['one byte short', verifyChallenge(A, alice.ghid.text, challenge, sig.subarray(1).toString('base64url'))]);
    cases.push(['one byte over', verifyChallenge(A, alice.ghid.text, challenge, Buffer.concat([sig, Buffer.from([0])]).toString('base64url'))]);
    cases.push(['a leading zero byte', verifyChallenge(A, alice.ghid.text, challenge, Buffer.concat([Buffer.from([0]), sig]).toString('base64url'))]);
    for (const [what, verdict] of cases) assert.equal(await verdict, false, what);
    assert.equal(await verifyChallenge(A, alice.ghid.text, challenge, good), true, 'the good one still verifies');
  });

  test('malformed signature, GIDC, fingerprint or challenge: false, never a throw or a rejection', async () => {
    const challenge = newChallenge();
    const good = await signChallenge(alice, challenge);
    const A = gidcOf(alice.ghid.text);
    const fp = alice.ghid.text;
    const signatures = [
      '',
      '=',
      `${good}=`,
      `${good}==`,
      `+${good.slice(1)}`,
      `/${good.slice(1)}`,
      'A',
      'AA',
      'AAAA',
      'A'.repeat(683), // 512 zero bytes: the right length
      '_'.repeat(683), // 512 0xff bytes: larger than any modulus
      'A'.repeat(1024),
      'A'.repeat(1025),
      'A'.repeat(200_000),
      `${good}\n`,
      ` ${good}`,
      `${good.slice(0, 100)}%00${good.slice(103)}`,
      'é'.repeat(683),
    ];
    const other = v16Objects().find((o) => o.obj.type !== 'GIDC')!.raw;
    const gidcs: Buffer[] = [Buffer.alloc(0), Buffer.from('not a gidc'), A.subarray(0, A.length - 1), Buffer.concat([A, Buffer.from([0])]), other, Buffer.alloc(A.length)];
    const fingerprints = ['', 'x', fp.slice(1), `${fp}=`, ` ${fp}`, fp.toLowerCase(), `${fp.slice(0, -2)}==`];
    const challenges = ['', '\n', `${challenge}\n${fp}`, 'é'.repeat(43), 'A'.repeat(100_000)];

    const check = async (what: string, g: Buffer, f: string, c: string, s: string): Promise<void> => {
      let verdict: Promise<boolean> | undefined;
      assert.doesNotThrow(() => (verdict = verifyChallenge(g, f, c, s)), what);
      assert.equal(await verdict!, false, what);
    };
    for (const s of signatures) await check(`signature ${JSON.stringify(s.slice(0, 24))}… (${s.length})`, A, fp, challenge, s);
    for (const g of gidcs) await check(`GIDC of ${g.length} bytes`, g, fp, challenge, good);
    for (const f of fingerprints) if (f !== fp) await check(`fingerprint ${JSON.stringify(f.slice(0, 24))}`, A, f, challenge, good);
    for (const c of challenges) await check(`challenge ${JSON.stringify(c.slice(0, 24))}`, A, fp, c, good);
    assert.equal(await verifyChallenge(A, fp, challenge, good), true);
  });

  // DEFECT: proof.ts:14-16 signs `context \n challenge \n fingerprint`: nothing names the server
  // the account meant to register with, and a challenge is only checked against the server's
  // own book. So a remote the user configured (server A) can relay another server's (B's)
  // challenge from its /register/challenge; the daemon signs it for A ("register on A"), and
  // A opens B's page with it: the user is registered (or a request recorded, under approval)
  // on a server they never chose. Signing also accepts any text as a challenge (client.ts:38
  // does not check CHALLENGE), so a server can have the account sign text of its choosing.
  test("a link signed for one server does not register the account on another (a relayed challenge)", { todo: 'known: the signed message does not name the server; it needs a new proof format and a public-name setting' }, async (t) => {
    const accountsB = await fileRegistry(t);
    const B = await serveEndpoints(t, deps(accountsB, new ChallengeBook(), 'open'));
    // Server A answers /register/challenge with one it fetched from B.
    const A = await listen(t, (req, res) => {
      if (req.url !== '/register/challenge') {
        res.writeHead(404);
        res.end();
        return;
      }
      fetch(`${B.base}/register/challenge`)
        .then((r) => r.text())
        .then((body) => {
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(body);
        }, () => {
          res.writeHead(502);
          res.end();
        });
    });
    // The user registers with A, as the daemon does.
    const link = new URL(await registrationLink({ host: A.host, port: A.port, tls: false }, alice));
    assert.equal(link.origin, A.base);
    // A opens the same signed fields on B.
    const onB = await fetch(`${B.base}/register?${link.searchParams}`);
    const page = await onB.text();
    assert.equal(accountsB.get(alice.ghid.text), null, `B registered an account that asked A (HTTP ${onB.status}: ${/<h1[^>]*>([^<]*)/.exec(page)?.[1]})`);
    assert.equal(onB.status, 403);
  });
});

// ============================================================================ the page spends a challenge

describe('the page spends the challenge and the invite code together', () => {
  // DEFECT: http.ts:154-158 (pagePost) spends one use of the invite code (useInvite) before it
  // takes the challenge; when the take then fails (the same form submitted twice, a second tab,
  // or the challenge expiring meanwhile), the page answers "expired or already used" and the
  // invite use is gone with nothing registered for it. A 5-use code for a team loses a use per
  // double click; a 1-use code is lost altogether.
  test('a form submitted twice registers once and spends one use of the invite', async (t) => {
    const registry = await fileRegistry(t);
    const code = await registry.createInvite(5, null);
    // Holds the first spend of the code until the second request has got as far (or has been answered).
    let calls = 0;
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const accounts: AccountRegistry = {
      get: (fp) => registry.get(fp),
      list: () => registry.list(),
      counts: () => registry.counts(),
      register: (fp, via) => registry.register(fp, via),
      request: (fp) => registry.request(fp),
      revoke: (fp) => registry.revoke(fp),
      createInvite: (uses, expires) => registry.createInvite(uses, expires),
      useInvite: async (c, fp) => {
        if (++calls >= 2) release();
        else await gate;
        return registry.useInvite(c, fp);
      },
      refresh: () => registry.refresh(),
      close: () => registry.close(),
    };
    const book = new ChallengeBook();
    const { base } = await serveEndpoints(t, deps(accounts, book, 'invite'));
    const form = await linkQuery(alice, book.issue().challenge);
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

  test('a challenge that expires while the code is checked: either registered with the code spent, or neither', { todo: 'known: an expired link is now refused before the code is checked; one that expires during the check still spends a use' }, async (t) => {
    let now = 1_700_000_000_000;
    const registry = await fileRegistry(t, () => now);
    const code = await registry.createInvite(1, null);
    const book = new ChallengeBook(() => now, 60_000);
    const accounts: AccountRegistry = {
      get: (fp) => registry.get(fp),
      list: () => registry.list(),
      counts: () => registry.counts(),
      register: (fp, via) => registry.register(fp, via),
      request: (fp) => registry.request(fp),
      revoke: (fp) => registry.revoke(fp),
      createInvite: (uses, expires) => registry.createInvite(uses, expires),
      useInvite: (c, fp) => {
        // The link was opened at the end of its minute: it expires while the code is written.
        now += 2;
        return registry.useInvite(c, fp);
      },
      refresh: () => registry.refresh(),
      close: () => registry.close(),
    };
    const { base } = await serveEndpoints(t, deps(accounts, book, 'invite'));
    const form = await linkQuery(alice, book.issue().challenge);
    form.set('code', code);
    now += 59_999;
    const res = await fetch(`${base}/register`, { method: 'POST', headers: { 'content-type': 'application/x-www-form-urlencoded' }, body: form.toString() });
    await res.text();
    const registered = registry.get(alice.ghid.text)?.status === 'registered';
    const left = registry.invites().find((i) => i.id === inviteId(code))?.usesLeft;
    assert.equal(left, registered ? 0 : 1, `HTTP ${res.status}; registered: ${registered}; invite uses left: ${left}`);
  });
});

// ============================================================================ the server's flood

describe('a real server under a challenge flood', () => {
  // The same defect as "one client fetching MAX_CHALLENGES…" above, end to end: nothing on the
  // server's HTTP listener keeps one client from evicting everyone's challenges.
  test("a user's signed link still registers after another client fetched MAX_CHALLENGES challenges", { todo: 'known: as the book-level test above' }, async (t) => {
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
      while (sent < MAX_CHALLENGES) {
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

// ============================================================================ PostgreSQL

describe('PgChallengeBook (a cluster, on PostgreSQL)', { skip: POSTGRES_SKIP }, () => {
  let cluster: TestPostgres | null = null;
  const database = (): Promise<string> => (cluster ??= startPostgres()).database();

  /** A node's pool, its idle connections' errors (a restart) left to the pool. */
  async function nodePool(t: After, url: string) {
    const pool = await openPool({ url, poolSize: 2, connectTimeoutMs: 2000 });
    pool.on('error', () => {});
    t.after(() => pool.end().catch(() => {}));
    return pool;
  }

  test('many nodes racing for the same challenges: each is taken exactly once', async (t) => {
    const url = await database();
    const registry = await PgRegistry.open({ url, refreshMs: 0 });
    t.after(() => registry.close());
    const nodes = [registry.challengeBook()];
    for (let i = 0; i < 3; i++) nodes.push(new PgChallengeBook(await nodePool(t, url)));
    for (let round = 0; round < 10; round++) {
      const { challenge } = await nodes[round % nodes.length]!.issue();
      const raced = await Promise.all(nodes.flatMap((n) => [n.take(challenge), n.isLive(challenge).then(() => false), n.take(challenge)]));
      assert.equal(raced.filter(Boolean).length, 1, `round ${round}: ${JSON.stringify(raced)}`);
      for (const n of nodes) assert.equal(await n.isLive(challenge), false);
    }
  });

  test('malformed challenges are refused; expired rows are refused and swept at the next issue', async (t) => {
    const url = await database();
    const pool = await nodePool(t, url);
    const registry = await PgRegistry.open({ url, refreshMs: 0 });
    t.after(() => registry.close());
    const book = registry.challengeBook();
    for (const m of ['', 'x', 'A'.repeat(42), 'A'.repeat(44), `${'A'.repeat(42)}+`, 'é'.repeat(43), 'A'.repeat(100_000)]) {
      assert.equal(await book.isLive(m), false);
      assert.equal(await book.take(m), false);
    }
    // A book whose challenges are born expired (no waiting on a clock).
    const dead = new PgChallengeBook(pool, -1_000);
    const count = async () => Number((await pool.query<{ n: string }>('SELECT count(*) AS n FROM registration_challenges')).rows[0]!.n);
    const expired = (await dead.issue()).challenge;
    assert.equal(await count(), 1);
    assert.equal(await book.isLive(expired), false);
    assert.equal(await book.take(expired), false, 'expired');
    assert.equal(await count(), 0, 'a take of an expired challenge removes it');
    for (let i = 0; i < 3; i++) await dead.issue();
    assert.equal(await count(), 1, 'each issue swept the expired one before it');
    const live = (await book.issue()).challenge;
    assert.equal(await count(), 1, 'the expired rows were swept');
    assert.equal(book.size, 1);
    assert.equal(await book.take(live), true);
    assert.equal(await book.take(live), false, 'replayed');
  });

  test('the database restarting: calls meanwhile reject (no false "yes", no hang); a challenge issued before is good once after', async (t) => {
    const url = await database();
    await (await PgRegistry.open({ url, refreshMs: 0 })).close(); // the schema
    const a = new PgChallengeBook(await nodePool(t, url));
    const b = new PgChallengeBook(await nodePool(t, url));
    const { challenge } = await a.issue();
    cluster!.stop();
    try {
      await assert.rejects(b.isLive(challenge));
      await assert.rejects(b.take(challenge));
      await assert.rejects(a.issue());
    } finally {
      cluster!.start();
    }
    await until(async () => a.isLive(challenge).catch(() => null), 'the challenge readable again', 30_000, 100);
    const raced = await Promise.all([a.take(challenge), b.take(challenge)]);
    assert.equal(raced.filter(Boolean).length, 1, JSON.stringify(raced));
  });

  // DEFECT: http.ts:76-82: when the database goes away after the accounts were read (between
  // checking the link and taking its challenge), the error falls to the generic catch and the
  // person's browser gets a JSON 500 ("Connection terminated…") instead of the 503 page
  // "Try again shortly" it gets when the database is down from the start. (Nothing is spent:
  // the same link works once the database is back.)
  test('the database going away in the middle of a registration: the browser gets the 503 page, and the link works once it is back', async (t) => {
    const url = await database();
    const registry = await PgRegistry.open({ url, refreshMs: 0, connectTimeoutMs: 2000 });
    t.after(() => registry.close());
    const book = registry.challengeBook();
    let stopOnce = true;
    const identityOf = async (fp: { text: string }): Promise<Buffer | null> => {
      if (stopOnce) {
        stopOnce = false;
        cluster!.stop(); // after the link was found live, before its challenge is taken
      }
      return GIDCS.get(fp.text) ?? null;
    };
    const { base } = await serveEndpoints(t, deps(registry, book, 'open', identityOf));
    const link = await linkQuery(alice, (await book.issue()).challenge);
    let first: { status: number; type: string; text: string };
    try {
      const res = await fetch(`${base}/register?${link}`);
      first = { status: res.status, type: res.headers.get('content-type') ?? '', text: await res.text() };
    } finally {
      cluster!.start();
    }
    await until(async () => registry.refresh().then(() => true, () => null), 'the accounts readable again', 30_000, 100);
    const again = await fetch(`${base}/register?${link}`);
    await again.text();
    assert.equal(again.status, 200, 'the link was not spent by the failed attempt');
    assert.equal(registry.get(alice.ghid.text)?.status, 'registered');
    assert.equal(first.status, 503, `${first.status} ${first.type}: ${first.text.slice(0, 160)}`);
    assert.match(first.type, /text\/html/);
    assert.match(first.text, /Try again shortly/);
  });
});
