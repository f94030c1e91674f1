// The proof of a registration taken apart: the account signs the challenge, the server it names
// and its own fingerprint; only its own signature over exactly these bytes verifies, anything
// malformed is a plain false, and no text but a challenge is ever signed. Then what naming the
// server buys: a remote that relays another server's challenge gets no signature; a server
// with public names issues and accepts challenges only for them; a daemon still signs an older
// server's challenge in the older form.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ChallengeBook, LEGACY_CHALLENGE, readChallenge } from '../../../src/core/registration/challenges.js';
import { ChallengeForAnotherServer, registrationLink } from '../../../src/core/registration/client.js';
import { NotAChallenge, registrationMessage, signChallenge, signedByOlderVersion, verifyChallenge } from '../../../src/core/registration/proof.js';
import { v16Objects } from '../../fixtures/vectors.js';
import { NAME, aChallenge, alice, bob, carol, deps, fileRegistry, getWith, gidcOf, linkQuery, listen, serveEndpoints } from './challenge-helpers.js';

describe('the proof: the account signs the challenge, the server it names and its own fingerprint', () => {
  test('the account\'s signature over a challenge verifies, for each reference identity', async () => {
    for (const me of [alice, bob, carol]) {
      const challenge = aChallenge();
      const signature = await signChallenge(me, challenge);
      assert.match(signature, /^[A-Za-z0-9_-]+$/);
      assert.equal(await verifyChallenge(gidcOf(me.ghid.text), me.ghid.text, challenge, signature), true);
    }
  });

  test('signed bytes: a context line, the server, the challenge, the fingerprint; each part changes them', () => {
    const c = aChallenge();
    const m = registrationMessage(c, alice.ghid.text);
    assert.equal(m.toString('utf8'), `hypergolix registration v2\n${NAME}\n${c}\n${alice.ghid.text}`);
    assert.notDeepEqual(registrationMessage(aChallenge(), alice.ghid.text), m);
    assert.notDeepEqual(registrationMessage(c, bob.ghid.text), m);
    assert.match(registrationMessage(aChallenge('other.example'), alice.ghid.text).toString('utf8'), /^hypergolix registration v2\nother\.example\n/);
    // An older server's challenge names no server: signed in the form it checks (v1).
    const legacy = 'A'.repeat(43);
    assert.match(legacy, LEGACY_CHALLENGE);
    assert.equal(registrationMessage(legacy, alice.ghid.text).toString('utf8'), `hypergolix registration v1\n${legacy}\n${alice.ghid.text}`);
    // No Golix object starts with either context line (they start with their magic).
    for (const o of v16Objects()) assert.notDeepEqual(o.raw.subarray(0, 11), m.subarray(0, 11));
  });

  test('only a challenge is ever signed: any other text a server sends is refused before signing', async () => {
    const c = aChallenge();
    const texts = ['', 'hello', `${c}\n${bob.ghid.text}`, `${c} `, 'A'.repeat(42), 'A'.repeat(44), '{"op":"register"}', c.slice(0, -1), 'x'.repeat(100_000)];
    for (const text of texts) {
      await assert.rejects(signChallenge(alice, text), NotAChallenge, JSON.stringify(text.slice(0, 40)));
      assert.throws(() => registrationMessage(text, alice.ghid.text), NotAChallenge);
    }
  });

  test('refused: another identity\'s key, another fingerprint, other bytes signed, a damaged signature', async () => {
    const challenge = aChallenge();
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
      ['another challenge', verifyChallenge(A, alice.ghid.text, aChallenge(), good)],
      // The same key over the same challenge in the older form, which names no server.
      ['the v1 form', (async () => verifyChallenge(A, alice.ghid.text, challenge, (await alice.sign(Buffer.from(`hypergolix registration v1\n${challenge}\n${alice.ghid.text}`))).toString('base64url')))()],
      ['the v2 form naming another server', (async () => verifyChallenge(A, alice.ghid.text, challenge, (await alice.sign(Buffer.from(`hypergolix registration v2\nother.example\n${challenge}\n${alice.ghid.text}`))).toString('base64url')))()],
      // The same key over other bytes: no context line; the fingerprint left out; another's fingerprint.
      ['no context line', (async () => verifyChallenge(A, alice.ghid.text, challenge, (await alice.sign(Buffer.from(`${challenge}\n${alice.ghid.text}`))).toString('base64url')))()],
      ['the challenge alone', (async () => verifyChallenge(A, alice.ghid.text, challenge, (await alice.sign(Buffer.from(challenge))).toString('base64url')))()],
      ['signed naming another fingerprint', (async () => verifyChallenge(A, alice.ghid.text, challenge, (await alice.sign(registrationMessage(challenge, bob.ghid.text))).toString('base64url')))()],
      ['a challenge with a fingerprint smuggled in', (async () => verifyChallenge(A, alice.ghid.text, `${challenge}\n${bob.ghid.text}`, good))()],
      ["the last 512 bytes of a Golix object", verifyChallenge(A, alice.ghid.text, challenge, v16Objects().find((o) => o.obj.type !== 'GIDC')!.raw.subarray(-512).toString('base64url'))],
    ];
    const sig = Buffer.from(good, 'base64url');
    for (const i of [0, 100, sig.length - 1]) {
      const bent = Buffer.from(sig);
      bent[i] = bent[i]! ^ 0x01;
      cases.push([`bit flipped at byte ${i}`, verifyChallenge(A, alice.ghid.text, challenge, bent.toString('base64url'))]);
    }
    cases.push(['one byte short', verifyChallenge(A, alice.ghid.text, challenge, sig.subarray(1).toString('base64url'))]);
    // A signature whose first byte is zero (one in 256 are), that byte left out: the same number to OpenSSL, still refused.
    const zeroFirst = await (async () => {
      for (let n = 0; n < 512; n++) {
        const batch = await Promise.all(Array.from({ length: 8 }, () => alice.sign(registrationMessage(challenge, alice.ghid.text))));
        const s = batch.find((b) => b[0] === 0);
        if (s) return s;
      }
      throw new Error('no signature with a zero first byte in 4,096');
    })();
    assert.equal(await verifyChallenge(A, alice.ghid.text, challenge, zeroFirst.toString('base64url')), true);
    cases.push(['a zero first byte left out', verifyChallenge(A, alice.ghid.text, challenge, zeroFirst.subarray(1).toString('base64url'))]);
    cases.push(['one byte over', verifyChallenge(A, alice.ghid.text, challenge, Buffer.concat([sig, Buffer.from([0])]).toString('base64url'))]);
    cases.push(['a leading zero byte', verifyChallenge(A, alice.ghid.text, challenge, Buffer.concat([Buffer.from([0]), sig]).toString('base64url'))]);
    for (const [what, verdict] of cases) assert.equal(await verdict, false, what);
    assert.equal(await verifyChallenge(A, alice.ghid.text, challenge, good), true, 'the good one still verifies');
  });

  test('a signature in the v1 form over a challenge naming its server is told apart (a daemon from before), and still refused', async () => {
    const challenge = aChallenge();
    const A = gidcOf(alice.ghid.text);
    const v1 = (await alice.sign(Buffer.from(`hypergolix registration v1\n${challenge}\n${alice.ghid.text}`))).toString('base64url');
    assert.equal(await verifyChallenge(A, alice.ghid.text, challenge, v1), false);
    assert.equal(await signedByOlderVersion(A, alice.ghid.text, challenge, v1), true);
    assert.equal(await signedByOlderVersion(A, alice.ghid.text, challenge, await signChallenge(alice, challenge)), false, 'a v2 signature');
    const byBob = (await bob.sign(Buffer.from(`hypergolix registration v1\n${challenge}\n${alice.ghid.text}`))).toString('base64url');
    assert.equal(await signedByOlderVersion(A, alice.ghid.text, challenge, byBob), false, 'another key');
    assert.equal(await signedByOlderVersion(A, alice.ghid.text, 'A'.repeat(43), v1), false, 'not a challenge naming a server');
  });

  test('malformed signature, GIDC, fingerprint or challenge: false, never a throw or a rejection', async () => {
    const challenge = aChallenge();
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

  // A remote the user configured (server A) relays another server's (B's) challenge from its
  // /register/challenge, to have the account registered (or a request recorded, under
  // approval) on a server it never chose. The challenge names the server it was asked under,
  // and the daemon signs only one naming the server it asked; a daemon from before signed any
  // challenge in the v1 form, which names no server, and B refuses that.
  test("a link signed for one server does not register the account on another (a relayed challenge)", async (t) => {
    const accountsB = await fileRegistry(t);
    const B = await serveEndpoints(t, deps(accountsB, new ChallengeBook(), 'open'));
    let relayed = '';
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
          relayed = (JSON.parse(body) as { challenge: string }).challenge;
          res.writeHead(200, { 'content-type': 'application/json' });
          res.end(body);
        }, () => {
          res.writeHead(502);
          res.end();
        });
    });
    // The user registers with A, as the daemon does: nothing is signed.
    const made = await registrationLink({ host: A.host, port: A.port, tls: false }, alice).then((href) => href, (err: unknown) => err);
    assert.ok(made instanceof ChallengeForAnotherServer, `a link was made: ${String(made)}`);
    assert.ok(made.message.includes(`issued by another server (${new URL(B.base).host})`), made.message);
    // What a daemon from before would have signed, opened on B by A.
    const v1 = (await alice.sign(Buffer.from(`hypergolix registration v1\n${relayed}\n${alice.ghid.text}`))).toString('base64url');
    const onB = await fetch(`${B.base}/register?${new URLSearchParams({ fingerprint: alice.ghid.text, challenge: relayed, signature: v1 })}`);
    const page = await onB.text();
    assert.equal(accountsB.get(alice.ghid.text), null, `B registered an account that asked A (HTTP ${onB.status}: ${/<h1[^>]*>([^<]*)/.exec(page)?.[1]})`);
    assert.equal(onB.status, 403);
    assert.match(page, /older version of Hypergolix/);
    assert.equal(B.endpoints.refusalsOf('signature'), 1);
  });

  test('without public names, a challenge names the server as the request asked for it: Hypergolix-Server, else Host', async (t) => {
    const { base } = await serveEndpoints(t, deps(await fileRegistry(t), new ChallengeBook(), 'open'));
    const named = async (headers: Record<string, string>) => {
      const r = await getWith(base, '/register/challenge', headers);
      return r.status === 200 ? readChallenge((JSON.parse(r.body) as { challenge: string }).challenge)?.server : r.status;
    };
    assert.equal(await named({}), new URL(base).host, 'Host, as the daemon addressed the server');
    assert.equal(await named({ host: 'HGX.example.org' }), 'hgx.example.org');
    // Behind a reverse proxy that sends the upstream's name as Host.
    assert.equal(await named({ host: 'hypergolix-upstream', 'hypergolix-server': 'hgx.example.org' }), 'hgx.example.org');
    assert.equal(await named({ 'hypergolix-server': 'not a name' }), 400);
    assert.equal(await named({ host: 'a b' }), 400);
  });

  test('with its public names set, a server issues and accepts challenges only for them: a relay asking under its own name gets none', async (t) => {
    const accounts = await fileRegistry(t);
    const d = deps(accounts, new ChallengeBook(), 'open');
    const { base, endpoints } = await serveEndpoints(t, d);
    const here = new URL(base);
    d.publicNames = ['b.example', here.host];
    // A daemon that addresses the server by one of its names registers as ever.
    assert.equal((await fetch(await registrationLink({ host: here.hostname, port: Number(here.port), tls: false }, bob))).status, 200);
    assert.equal(accounts.get(bob.ghid.text)?.status, 'registered');
    // A relay asking under its own name, however it says it.
    for (const headers of [{ 'hypergolix-server': 'a.example:7770' }, { host: 'a.example' }, { host: `127.0.0.2:${here.port}` }] as Record<string, string>[]) {
      const r = await getWith(base, '/register/challenge', headers);
      assert.equal(r.status, 421, JSON.stringify(headers));
      assert.match((JSON.parse(r.body) as { message: string }).message, /answers as b\.example, 127\.0\.0\.1:\d+, not as /);
    }
    assert.equal(endpoints.refusalsOf('server_name'), 3);
    // A name without a port is the host under any port; behind a proxy that rewrites Host.
    for (const [asked, sealed] of [['b.example', 'b.example'], ['B.Example:443', 'b.example:443']] as const) {
      const r = await getWith(base, '/register/challenge', { host: 'hypergolix-upstream', 'hypergolix-server': asked });
      assert.equal(readChallenge((JSON.parse(r.body) as { challenge: string }).challenge)?.server, sealed);
    }
    // A link for a name the server no longer answers to (its names changed since) registers nothing.
    const { challenge } = JSON.parse((await getWith(base, '/register/challenge', { 'hypergolix-server': 'b.example' })).body) as { challenge: string };
    d.publicNames = [here.host];
    const res = await fetch(`${base}/register?${await linkQuery(alice, challenge)}`);
    assert.equal(res.status, 403);
    assert.match(await res.text(), /made for b\.example, which is not a name of this server/);
    assert.equal(accounts.get(alice.ghid.text), null);
  });

  test("the daemon refuses a server's answer that is not a well-formed challenge, and signs an older server's (v1)", async (t) => {
    let answer: unknown = 'A'.repeat(43);
    const server = await listen(t, (_req, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ challenge: answer, expiresInMs: 600_000, policy: 'open' }));
    });
    const remote = { host: server.host, port: server.port, tls: false };
    // An older server of ours: the link carries the v1 signature it checks.
    const link = new URL(await registrationLink(remote, alice));
    const v1 = registrationMessage('A'.repeat(43), alice.ghid.text);
    assert.equal(v1.toString('utf8').split('\n')[0], 'hypergolix registration v1');
    assert.equal(await verifyChallenge(gidcOf(alice.ghid.text), alice.ghid.text, link.searchParams.get('challenge')!, link.searchParams.get('signature')!), true);
    for (const text of ['hypergolix registration v1\nsomething else', `${'A'.repeat(43)}\n${bob.ghid.text}`, 'A'.repeat(44), '']) {
      answer = text;
      await assert.rejects(registrationLink(remote, alice), NotAChallenge, JSON.stringify(text));
    }
  });
});

