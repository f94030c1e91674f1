// The registrations journal's own contract (`records.ts`: the ops, `parseOp`, `RegistrationState`)
// and the file it lives in (`<ghidcache>.accounts`, written by `FileRegistry`): every op reads back
// as written, op sequences lead to the documented states, two writers see each other's lines
// whole, a torn last line waits for its end (and never swallows a later line), lines this
// version does not know are skipped, and a failed append never takes another writer's lines.
import { test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { constants as fsc, appendFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Ghid } from '../../../src/core/golix/index.js';
import { RegistrationState, parseOp, type RegistrationOp } from '../../../src/core/registration/records.js';
import { FileRegistry, inviteId } from '../../../src/core/registration/registry.js';
import { AppendLog } from '../../../src/core/util/append-log.js';
import { nodeFs, type FsHandle, type FsOps } from '../../../src/core/util/fs-ops.js';

const root = mkdtempSync(join(tmpdir(), 'hgx-records-'));
test.after(() => rmSync(root, { recursive: true, force: true }));
let n = 0;
/** A fresh journal path (its directory exists, the file does not). */
function journal(): string {
  return join(root, `ghidcache${n++}.accounts`);
}

/** A canonical fingerprint text, distinct per seed. */
function fp(seed: string): string {
  return Ghid.fromDigest(createHash('sha512').update(seed).digest()).text;
}
/** Opens the journal as FileRegistry does, closed after the test even when an assertion fails first. */
async function open(t: TestContext, path: string, now?: () => number): Promise<FileRegistry> {
  const r = await FileRegistry.open(path, now);
  t.after(() => r.close());
  return r;
}

const A = fp('a');
const B = fp('b');
const C = fp('c');
const ID = createHash('sha256').update('code').digest('hex');

const line = (o: unknown): string => JSON.stringify(o) + '\n';
/** The file's lines (without the trailing empty piece after the last newline). */
function lines(path: string): string[] {
  const text = readFileSync(path, 'utf8');
  assert.ok(text === '' || text.endsWith('\n'), 'the file ends at a line end');
  return text === '' ? [] : text.slice(0, -1).split('\n');
}

test('parseOp: each op of docs/formats.md reads back exactly as written', () => {
  const ops: RegistrationOp[] = [
    { op: 'register', fp: A, via: 'open', at: 1 },
    { op: 'register', fp: A, via: 'invite', at: 2 },
    { op: 'register', fp: A, via: 'approval', at: 3 },
    { op: 'register', fp: A, via: 'operator', at: 4 },
    { op: 'register', fp: A, via: 'webhook', at: 5 },
    { op: 'request', fp: B, at: 6 },
    { op: 'revoke', fp: C, at: 7 },
    { op: 'invite', id: ID, uses: 3, expires: null, at: 8 },
    { op: 'invite', id: ID, uses: 1, expires: 1_700_000_000_000, at: 9 },
    { op: 'invite-used', id: ID, fp: A, at: 10 },
  ];
  for (const op of ops) assert.deepEqual(parseOp(JSON.stringify(op)), op, JSON.stringify(op));
  // Field order does not matter; fields this version does not know are dropped, the op kept.
  assert.deepEqual(parseOp(`{"at":11,"fp":"${A}","extra":{"x":[1]},"op":"revoke","by":"cli"}`), { op: 'revoke', fp: A, at: 11 });
  assert.deepEqual(parseOp(`{"op":"invite","id":"${ID}","uses":2,"expires":null,"at":12,"note":"for Bob"}`), { op: 'invite', id: ID, uses: 2, expires: null, at: 12 });
  // Surrounding whitespace (a CRLF line end, a hand edit) is still the same line.
  assert.deepEqual(parseOp(`  {"op":"request","fp":"${B}","at":13}\r`), { op: 'request', fp: B, at: 13 });
});

test('parseOp: malformed, non-object, unknown and ill-typed lines are null, never a throw', () => {
  const bad: string[] = [
    '',
    '\r',
    'not json',
    '{"op":"register"',
    `{"op":"register","fp":"${A}","via":"open","at":1}}`,
    'null',
    'true',
    '42',
    '"register"',
    `[{"op":"revoke","fp":"${A}","at":1}]`,
    '{}',
    // op: unknown, missing, wrong type
    `{"op":"from-the-future","fp":"${A}","at":1}`,
    `{"fp":"${A}","at":1}`,
    `{"op":["revoke"],"fp":"${A}","at":1}`,
    `{"op":"REVOKE","fp":"${A}","at":1}`,
    // at: missing, not a number, not finite (JSON cannot say Infinity: 1e999 parses to it)
    `{"op":"revoke","fp":"${A}"}`,
    `{"op":"revoke","fp":"${A}","at":"1"}`,
    `{"op":"revoke","fp":"${A}","at":null}`,
    `{"op":"revoke","fp":"${A}","at":1e999}`,
    // fp: missing, not canonical text, standard base64, wrong length, another type
    `{"op":"revoke","at":1}`,
    `{"op":"revoke","fp":"${A.replace(/=+$/, '')}","at":1}`,
    `{"op":"revoke","fp":"${Buffer.from(A, 'base64url').toString('base64')}x","at":1}`,
    `{"op":"revoke","fp":"${A.slice(1)}","at":1}`,
    `{"op":"revoke","fp":${JSON.stringify([...Buffer.from(A, 'base64url')])},"at":1}`,
    `{"op":"request","fp":"${'A'.repeat(86)}==","at":1}`,
    // register: via missing or unknown
    `{"op":"register","fp":"${A}","at":1}`,
    `{"op":"register","fp":"${A}","via":"magic","at":1}`,
    `{"op":"register","fp":"${A}","via":"Open","at":1}`,
    // invite: id not lowercase 64-hex; uses not a positive safe integer; expires missing or ill-typed
    `{"op":"invite","id":"${ID.toUpperCase()}","uses":1,"expires":null,"at":1}`,
    `{"op":"invite","id":"${ID.slice(2)}","uses":1,"expires":null,"at":1}`,
    `{"op":"invite","id":"code","uses":1,"expires":null,"at":1}`,
    `{"op":"invite","id":"${ID}","uses":0,"expires":null,"at":1}`,
    `{"op":"invite","id":"${ID}","uses":-1,"expires":null,"at":1}`,
    `{"op":"invite","id":"${ID}","uses":1.5,"expires":null,"at":1}`,
    `{"op":"invite","id":"${ID}","uses":"1","expires":null,"at":1}`,
    `{"op":"invite","id":"${ID}","uses":9007199254740993,"expires":null,"at":1}`,
    `{"op":"invite","id":"${ID}","uses":1,"at":1}`,
    `{"op":"invite","id":"${ID}","uses":1,"expires":"tomorrow","at":1}`,
    `{"op":"invite","id":"${ID}","uses":1,"expires":1e999,"at":1}`,
    // invite-used: id or fp missing or bad
    `{"op":"invite-used","id":"${ID}","at":1}`,
    `{"op":"invite-used","fp":"${A}","at":1}`,
    `{"op":"invite-used","id":"${ID.slice(1)}","fp":"${A}","at":1}`,
  ];
  for (const text of bad) assert.equal(parseOp(text), null, text);
  // A 1 MB line, valid JSON of an unknown op, and 1 MB of garbage.
  assert.equal(parseOp(JSON.stringify({ op: 'from-the-future', pad: 'x'.repeat(1 << 20), at: 1 })), null);
  assert.equal(parseOp('{'.repeat(1 << 20)), null);
  // JSON keys that are Object.prototype names are plain data.
  assert.equal(parseOp(`{"__proto__":{"op":"revoke","fp":"${A}","at":1}}`), null);
});

test('state: register, revoke, register again; a request waits for approval and never undoes a decision', () => {
  const s = new RegistrationState();
  s.apply({ op: 'register', fp: A, via: 'open', at: 10 });
  assert.deepEqual(s.accounts.get(A), { fingerprint: A, status: 'registered', via: 'open', since: 10 });
  s.apply({ op: 'revoke', fp: A, at: 20 });
  assert.deepEqual(s.accounts.get(A), { fingerprint: A, status: 'revoked', via: 'open', since: 20 }, 'a revoke keeps how it came');
  s.apply({ op: 'request', fp: A, at: 25 });
  assert.deepEqual(s.accounts.get(A), { fingerprint: A, status: 'revoked', via: 'open', since: 20 }, 'asking again does not undo a revocation');
  s.apply({ op: 'register', fp: A, via: 'operator', at: 30 });
  assert.deepEqual(s.accounts.get(A), { fingerprint: A, status: 'registered', via: 'operator', since: 30 });

  s.apply({ op: 'request', fp: B, at: 40 });
  assert.deepEqual(s.accounts.get(B), { fingerprint: B, status: 'pending', via: 'approval', since: 40 });
  s.apply({ op: 'request', fp: B, at: 45 });
  assert.equal(s.accounts.get(B)?.since, 40, 'asking twice keeps the first ask');
  s.apply({ op: 'register', fp: B, via: 'approval', at: 50 });
  assert.deepEqual(s.accounts.get(B), { fingerprint: B, status: 'registered', via: 'approval', since: 50 });
  s.apply({ op: 'request', fp: B, at: 55 });
  assert.equal(s.accounts.get(B)?.status, 'registered', 'asking again does not undo an approval');

  // A revoke of an identity never seen: recorded as revoked, with no way it came.
  s.apply({ op: 'revoke', fp: C, at: 60 });
  assert.deepEqual(s.accounts.get(C), { fingerprint: C, status: 'revoked', via: null, since: 60 });
  assert.deepEqual(s.counts(), { registered: 2, pending: 0, revoked: 1 });
  assert.deepEqual(new RegistrationState().counts(), { registered: 0, pending: 0, revoked: 0 });
});

test('state: invite uses are counted down once per use and register their accounts; uses of unknown invites, or past the last use, change nothing', () => {
  const s = new RegistrationState();
  s.apply({ op: 'invite-used', id: ID, fp: A, at: 1 });
  assert.equal(s.invites.size, 0, 'a use of an invite not (yet) seen creates none');
  s.apply({ op: 'invite', id: ID, uses: 2, expires: 5_000, at: 2 });
  assert.deepEqual(s.invites.get(ID), { id: ID, usesLeft: 2, expires: 5_000 });
  s.apply({ op: 'invite-used', id: ID, fp: A, at: 3 });
  assert.equal(s.invites.get(ID)?.usesLeft, 1);
  s.apply({ op: 'invite-used', id: ID, fp: B, at: 4 });
  s.apply({ op: 'invite-used', id: ID, fp: C, at: 5 });
  assert.deepEqual(s.invites.get(ID), { id: ID, usesLeft: 0, expires: 5_000 });
  // Each use of a known invite registers its account (the use is the registration: one line);
  // the one of an invite not seen, and C's, past the last use (two writers racing for it: the
  // journal's order decides), register nobody.
  assert.deepEqual([...s.accounts.values()].map((a) => [a.fingerprint, a.status, a.via, a.since]), [
    [A, 'registered', 'invite', 3],
    [B, 'registered', 'invite', 4],
  ]);
  assert.deepEqual([s.usesBy(ID, A), s.usesBy(ID, B), s.usesBy(ID, C)], [1, 1, 0]);
});

test('the file: each op is one whole line once its append resolves, and a reopen rebuilds the same state', async (t) => {
  const path = journal();
  let now = 100;
  const r = await open(t, path, () => now);
  await r.register(A, 'invite');
  assert.deepEqual(lines(path).map(parseOp), [{ op: 'register', fp: A, via: 'invite', at: 100 }], 'on the file when the append resolves');
  now = 101;
  await r.request(B);
  now = 102;
  await r.revoke(A);
  now = 103;
  await r.register(A, 'webhook');
  now = 104;
  const code = await r.createInvite(2, 9_999);
  now = 105;
  assert.equal(await r.useInvite(code, C), true);
  now = 106;
  await r.register(C, 'invite');
  const written = lines(path).map(parseOp);
  assert.deepEqual(written, [
    { op: 'register', fp: A, via: 'invite', at: 100 },
    { op: 'request', fp: B, at: 101 },
    { op: 'revoke', fp: A, at: 102 },
    { op: 'register', fp: A, via: 'webhook', at: 103 },
    { op: 'invite', id: inviteId(code), uses: 2, expires: 9_999, at: 104 },
    { op: 'invite-used', id: inviteId(code), fp: C, at: 105 },
    { op: 'register', fp: C, via: 'invite', at: 106 },
  ]);
  const replayed = new RegistrationState();
  for (const op of written) replayed.apply(op!);
  assert.deepEqual(r.list(), [...replayed.accounts.values()].sort((x, y) => x.since - y.since));
  assert.deepEqual(r.invites(), [{ id: inviteId(code), usesLeft: 1, expires: 9_999 }]);
  await r.close();
  const again = await open(t, path, () => 0);
  assert.deepEqual(again.list(), r.list());
  assert.deepEqual(again.invites(), r.invites());
  assert.deepEqual(again.counts(), { registered: 2, pending: 1, revoked: 0 });
  await again.close();
});

test('an invite use is its registration: one line, the account registered via invite from its time', async (t) => {
  const path = journal();
  let now = 500;
  const r = await open(t, path, () => now);
  const code = await r.createInvite(1, null);
  now = 501;
  assert.equal(await r.useInvite(code, C), true);
  assert.deepEqual(lines(path).map(parseOp).slice(1), [{ op: 'invite-used', id: inviteId(code), fp: C, at: 501 }], 'nothing else is written for it');
  assert.deepEqual(r.get(C), { fingerprint: C, status: 'registered', via: 'invite', since: 501 });
  assert.equal(await r.useInvite(code, A), false, 'used up');
  assert.equal(r.get(A), null, 'a refused use registers nobody');
  await r.close();
  const again = await open(t, path, () => 0);
  assert.deepEqual(again.get(C), { fingerprint: C, status: 'registered', via: 'invite', since: 501 }, 'read back from the journal');
  await again.close();
});

test('two writers (server and CLI) appending at once: each sees all the other wrote, no line lost or merged', async (t) => {
  const path = journal();
  const server = await open(t, path);
  const cli = await open(t, path);
  const mine = Array.from({ length: 25 }, (_, i) => fp(`server ${i}`));
  const theirs = Array.from({ length: 25 }, (_, i) => fp(`cli ${i}`));
  await Promise.all([...mine.map((f) => server.register(f, 'open')), ...theirs.map((f) => cli.request(f))]);
  await cli.revoke(mine[0]!);
  await server.register(theirs[0]!, 'approval');
  const all = lines(path);
  assert.equal(all.length, 52);
  assert.ok(all.every((l) => parseOp(l) !== null), 'every line whole');
  for (const r of [server, cli]) {
    assert.deepEqual(r.counts(), { registered: 25, pending: 24, revoked: 1 });
    assert.equal(r.get(mine[0]!)?.status, 'revoked');
    assert.equal(r.get(theirs[0]!)?.status, 'registered');
    assert.equal(r.get(theirs[0]!)?.via, 'approval');
  }
  // An invite the CLI makes is usable by the server at once, and a use the server spends is seen by the CLI.
  const code = await cli.createInvite(1, null);
  assert.equal(await server.useInvite(code, B), true);
  assert.equal(cli.invites().find((i) => i.id === inviteId(code))?.usesLeft, 0);
  assert.equal(await cli.useInvite(code, C), false, 'the last use is gone for the other writer too');
  await server.close();
  await cli.close();
});

test('two writers racing for the last use of an invite, each having checked it before the other appended: exactly one gets it, and only its account is registered', async (t) => {
  const path = journal();
  const server = await open(t, path);
  const cli = await open(t, path);
  for (let round = 0; round < 20; round++) {
    const code = await cli.createInvite(1, null);
    const [x, y] = [fp(`server ${round}`), fp(`cli ${round}`)];
    // Both check the invite before either line is on the file: the appends are what race.
    const results = await Promise.all([server.useInvite(code, x), cli.useInvite(code, y)]);
    assert.equal(results.filter(Boolean).length, 1, `round ${round}: ${results}`);
    for (const r of [server, cli]) {
      await r.refresh();
      assert.deepEqual([r.get(x)?.status ?? null, r.get(y)?.status ?? null], results.map((won) => (won ? 'registered' : null)), `round ${round}`);
      assert.equal(r.invites().find((i) => i.id === inviteId(code))?.usesLeft, 0);
    }
  }
  const uses = lines(path).map(parseOp).filter((o) => o?.op === 'invite-used').length;
  assert.equal(uses, 40, 'both writers appended a use every round: the race was run, not avoided');
  await server.close();
  await cli.close();
});

test('a torn last line is not applied, not lost, and applied exactly once when the rest of it arrives', async (t) => {
  const path = journal();
  writeFileSync(path, line({ op: 'invite', id: ID, uses: 3, expires: null, at: 1 }));
  // Torn inside a two-byte UTF-8 character of a field this version does not know.
  const whole = Buffer.from(line({ op: 'invite-used', id: ID, fp: A, note: 'café', at: 2 }), 'utf8');
  const cut = whole.indexOf(Buffer.from('é', 'utf8')) + 1;
  appendFileSync(path, whole.subarray(0, cut));
  const r = await open(t, path);
  assert.equal(r.invites()[0]?.usesLeft, 3, 'not applied while torn');
  assert.equal(r.invites()[0]?.usesLeft, 3, 'and looking again changes nothing');
  appendFileSync(path, whole.subarray(cut, whole.length - 1));
  assert.equal(r.invites()[0]?.usesLeft, 3, 'still no line end');
  appendFileSync(path, whole.subarray(whole.length - 1));
  assert.equal(r.invites()[0]?.usesLeft, 2, 'applied once the line ends');
  r.refresh();
  assert.equal(r.invites()[0]?.usesLeft, 2, 'and only once');
  await r.register(B, 'operator');
  assert.equal(r.invites()[0]?.usesLeft, 2);
  assert.equal(r.get(B)?.status, 'registered');
  await r.close();
});

test('an append after a torn tail (a writer that crashed mid-line) is not glued onto it and lost', async (t) => {
  const path = journal();
  writeFileSync(path, line({ op: 'register', fp: A, via: 'open', at: 1 }));
  // The operator's CLI died part-way through a revoke: the rest of this line never comes.
  appendFileSync(path, `{"op":"revoke","fp":"${A}",`);
  const server = await open(t, path);
  assert.equal(server.get(A)?.status, 'registered');
  await server.register(B, 'invite');
  // The append resolved, so the registration counts: it must be applied, now and after a reopen.
  assert.equal(server.get(B)?.status, 'registered', `our line was merged with the torn one: ${JSON.stringify(readFileSync(path, 'utf8').split('\n').at(-2))}`);
  await server.close();
  const again = await open(t, path);
  assert.equal(again.get(B)?.status, 'registered', 'after a reopen too');
  await again.close();
});

test('a whole record that lost only its line end: neither it nor the next append is lost to a merge', async (t) => {
  const path = journal();
  writeFileSync(path, JSON.stringify({ op: 'register', fp: A, via: 'operator', at: 1 }));
  const server = await open(t, path);
  assert.equal(server.get(A), null, 'no line end yet: waits');
  await server.request(B);
  assert.equal(server.get(B)?.status, 'pending', `our request was merged into ${JSON.stringify(readFileSync(path, 'utf8'))}`);
  await server.close();
});

test('unknown ops and fields, malformed and non-object lines, a 1 MB line, blank and CRLF lines: skipped, later lines applied', async (t) => {
  const path = journal();
  const warnings: unknown[] = [];
  const warn = console.warn;
  const error = console.error;
  console.warn = (...args: unknown[]) => void warnings.push(args);
  console.error = (...args: unknown[]) => void warnings.push(args);
  try {
    writeFileSync(
      path,
      [
        line({ op: 'register', fp: A, via: 'open', at: 1 }),
        line({ op: 'suspend', fp: A, at: 2 }),
        line({ op: 'revoke', fp: A, at: 3, reason: 'spam', by: { cli: true } }),
        'not json\n',
        '{"op":"revoke",\n',
        'null\n42\n"x"\n[1,2]\n',
        '\n\n',
        line({ op: 'register', fp: B, via: 'teleport', at: 4 }),
        line({ op: 'from-the-future', pad: 'x'.repeat(1 << 20), at: 5 }),
        JSON.stringify({ op: 'request', fp: C, at: 6 }) + '\r\n',
        '\u0000\u0001\xff\n',
      ].join(''),
    );
    const r = await open(t, path);
    assert.equal(r.get(A)?.status, 'revoked', 'an op with unknown fields is applied');
    assert.equal(r.get(B), null, 'an unknown via is skipped');
    assert.equal(r.get(C)?.status, 'pending', 'a CRLF line is read');
    // A writer of a later version appends another 1 MB line after we opened: also skipped.
    appendFileSync(path, line({ op: 'rename', fp: B, name: 'y'.repeat(1 << 20), at: 7 }));
    await r.register(B, 'approval');
    assert.deepEqual(r.counts(), { registered: 1, pending: 1, revoked: 1 });
    await r.close();
  } finally {
    console.warn = warn;
    console.error = error;
  }
  // The code skips silently (records.ts/registry.ts give no warning): nothing is printed either
  // (Node's own process warnings, e.g. about another test's handles, are not ours).
  assert.deepEqual(warnings.filter((w) => !String((w as unknown[])[0]).startsWith('(node:')), []);
});

test('a missing file (and folder), an empty file, a file of only newlines: no accounts, and appends then work', async (t) => {
  const missing = join(root, `new${n++}`, 'ghidcache.accounts');
  const r1 = await open(t, missing);
  assert.deepEqual(r1.counts(), { registered: 0, pending: 0, revoked: 0 });
  assert.deepEqual(r1.list(), []);
  assert.ok(existsSync(missing), 'created empty on open');
  assert.equal(readFileSync(missing).length, 0);
  await r1.register(A, 'open');
  assert.equal(r1.get(A)?.status, 'registered');
  await r1.close();

  const empty = journal();
  writeFileSync(empty, '');
  const r2 = await open(t, empty);
  assert.deepEqual(r2.list(), []);
  assert.deepEqual(r2.invites(), []);
  await r2.close();

  const blank = journal();
  writeFileSync(blank, '\n\n\n\n');
  const r3 = await open(t, blank);
  assert.deepEqual(r3.list(), []);
  await r3.request(A);
  assert.equal(r3.get(A)?.status, 'pending');
  assert.equal(readFileSync(blank, 'utf8'), '\n\n\n\n' + line({ op: 'request', fp: A, at: JSON.parse(lines(blank).at(-1)!).at }));
  await r3.close();
});

/** nodeFs with a record of the flags each file was opened with and handles whose next write can fail. */
function watchedFs(): { fs: FsOps; flags: number[]; syncs: string[]; failNextWrite: () => void } {
  const flags: number[] = [];
  const syncs: string[] = [];
  let fail = false;
  const fs: FsOps = {
    ...nodeFs,
    async open(path, f, mode) {
      flags.push(typeof f === 'number' ? f : -1);
      const fh = await nodeFs.open(path, f, mode);
      const wrapped: FsHandle = {
        async write(data, offset, length, position) {
          if (fail) {
            fail = false;
            // Half the bytes reach the file, then the disk is full.
            await fh.write(data, offset, Math.ceil(length / 2), position);
            throw Object.assign(new Error('ENOSPC: no space left on device'), { code: 'ENOSPC' });
          }
          return fh.write(data, offset, length, position);
        },
        writeFile: (d) => fh.writeFile(d),
        chmod: (m) => fh.chmod(m),
        truncate: (l) => fh.truncate(l),
        sync: () => (syncs.push('sync'), fh.sync()),
        datasync: () => (syncs.push('datasync'), fh.datasync()),
        close: () => fh.close(),
      };
      return wrapped;
    },
  };
  return { fs, flags, syncs, failNextWrite: () => (fail = true) };
}

test('durability: the journal writer FileRegistry uses opens the file O_APPEND and synchronous (or fdatasyncs) before an append resolves', async (t) => {
  // FileRegistry takes no fs to inject; this pins the AppendLog it opens the journal with
  // (`AppendLog.open(path)`, default flags) through AppendLog's own injectable fs.
  const path = journal();
  const w = watchedFs();
  const { log } = await AppendLog.open(path, w.fs);
  t.after(() => log.close());
  assert.equal(w.flags.length, 1);
  const f = w.flags[0]!;
  assert.equal(f & fsc.O_APPEND, fsc.O_APPEND, 'O_APPEND: whole lines from two writers never interleave');
  assert.equal(f & fsc.O_CREAT, fsc.O_CREAT);
  await log.append([Buffer.from(line({ op: 'revoke', fp: A, at: 1 }))]);
  if (fsc.O_DSYNC) assert.equal(f & fsc.O_DSYNC, fsc.O_DSYNC, 'each write is durable when it returns');
  else assert.deepEqual(w.syncs, ['datasync']);
  assert.equal(parseOp(lines(path)[0]!)?.op, 'revoke');
  await log.close();
});

test("a failed append (a full disk) cuts back only its own bytes, never a line another writer appended meanwhile", async (t) => {
  const path = journal();
  const w = watchedFs();
  // The server's journal writer, as FileRegistry opens it, and the operator's CLI beside it.
  const { log } = await AppendLog.open(path, w.fs, { shared: true });
  t.after(() => log.close());
  await log.append([Buffer.from(line({ op: 'register', fp: A, via: 'open', at: 1 }))]);
  const cli = await open(t, path);
  await cli.revoke(A);
  assert.equal(cli.get(A)?.status, 'revoked');
  w.failNextWrite();
  await assert.rejects(log.append([Buffer.from(line({ op: 'register', fp: B, via: 'invite', at: 3 }))]), /ENOSPC/);
  const after = readFileSync(path, 'utf8');
  assert.ok(after.includes(`"op":"revoke"`), `the operator's revocation was cut from the journal: ${JSON.stringify(after.slice(0, 200))}`);
  const reopened = await open(t, path);
  assert.equal(reopened.get(A)?.status, 'revoked', 'the revocation survives a restart');
  await reopened.close();
  await cli.close();
  await log.close();
});
