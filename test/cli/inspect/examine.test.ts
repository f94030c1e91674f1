// The core of `hypergolix inspect`, in process: examine() on real and damaged bytes, the file
// collection (collectFiles), the output (jsonLine, humanBlock, Tally), the pool helpers, and the
// command run over hostile folders (FIFOs, devices, odd names, links). test/cli/inspect.test.ts
// covers the ordinary end-to-end runs over the vectors; this file aims at the edges.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import {
  closeSync,
  constants,
  createWriteStream,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  rmSync,
  symlinkSync,
  truncateSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { PassThrough } from 'node:stream';
import { CliError, type CliIO } from '../../../src/cli/command.js';
import { main } from '../../../src/cli/index.js';
import { errorText, examine, tooLarge, unreadable, type ExamineContext, type Report } from '../../../src/cli/inspect/examine.js';
import { collectFiles } from '../../../src/cli/inspect/files.js';
import { Tally, humanBlock, jsonLine } from '../../../src/cli/inspect/format.js';
import { FileTooLarge, readKnownSize } from '../../../src/cli/inspect/io.js';
import { forEachOrdered, mapLimit } from '../../../src/cli/inspect/pool.js';
import {
  DEFAULT_MAX_OBJECT_BYTES,
  PublicIdentity,
  packGeoc,
  packGobd,
  parseObject,
  signUnsigned,
  type GolixObject,
} from '../../../src/core/golix/index.js';
import { sha512 } from '../../../src/core/golix/header.js';
import { mutate, rng } from '../../fixtures/mutate.js';
import { V2016_DIRS, read2016, v16Identity, v16Objects } from '../../fixtures/vectors.js';

const GIDC_SIZE = 1130;

// ---------------------------------------------------------------------------------------------
// Shared material

interface Sample {
  name: string;
  raw: Buffer;
  obj: GolixObject;
}

/** Every distinct vector object (v16 and both 2016 caches), by file name. */
function allSamples(): Sample[] {
  const byName = new Map<string, Sample>();
  for (const { entry, raw, obj } of v16Objects()) byName.set(entry.file.split('/').at(-1)!, { name: entry.file.split('/').at(-1)!, raw, obj });
  for (const dir of V2016_DIRS) for (const { name, raw } of read2016(dir)) byName.set(`${name}.ghid`, { name: `${name}.ghid`, raw, obj: parseObject(raw) });
  return [...byName.values()].sort((a, b) => (a.name < b.name ? -1 : 1));
}

const samples = allSamples();
const identities = new Map<string, PublicIdentity>();
for (const s of samples) if (s.obj.type === 'GIDC') identities.set(s.obj.ghid.text, PublicIdentity.fromBytes(s.raw));
const ctx: ExamineContext = { identities, strict: false };
const noIds: ExamineContext = { identities: new Map(), strict: false };

function firstOf(pred: (s: Sample) => boolean, what: string): Sample {
  const s = samples.find(pred);
  assert.ok(s, `no vector sample: ${what}`);
  return s;
}
const geoc = firstOf((s) => s.obj.type === 'GEOC' && s.raw.length < 2000 && s.obj.version === 14, 'small GEOC');
const gobs = firstOf((s) => s.obj.type === 'GOBS', 'GOBS');
const gdxx = firstOf((s) => s.obj.type === 'GDXX', 'GDXX');
const gidc = firstOf((s) => s.obj.type === 'GIDC', 'GIDC');
const garq = firstOf((s) => s.obj.type === 'GARQ', 'GARQ');
const gobd16First = firstOf((s) => s.obj.type === 'GOBD' && s.obj.version === 16 && s.obj.targets.length === 1, 'first v16 frame');
const gobd16Later = firstOf((s) => s.obj.type === 'GOBD' && s.obj.version === 16 && s.obj.targets.length > 2, 'later v16 frame');
const gobd15First = firstOf((s) => s.obj.type === 'GOBD' && s.obj.version === 15 && s.obj.history.length === 0, 'first v15 frame');
const gobd15Later = firstOf((s) => s.obj.type === 'GOBD' && s.obj.version === 15 && s.obj.history.length > 1, 'later v15 frame');
const typical = [gidc, geoc, gobs, gobd16First, gobd16Later, gobd15First, gobd15Later, gdxx, garq];

/** GARQ bytes after the file hash: the recipient-only HMAC, which no one else can check (golix §3.8). */
const GARQ_MAC_AT = 651;

function fakeIO(cwd: string): CliIO & { stdout: () => string; stderr: () => string } {
  let out = '';
  let err = '';
  return {
    out: (t) => void (out += t.endsWith('\n') ? t : t + '\n'),
    err: (t) => void (err += t.endsWith('\n') ? t : t + '\n'),
    stdin: new PassThrough(),
    isTTY: false,
    env: {},
    cwd,
    stdout: () => out,
    stderr: () => err,
  };
}

interface JsonLine {
  file: string;
  type: string | null;
  ghid: string | null;
  hash_ok: boolean | null;
  signature_ok: boolean | null;
  signature: string;
  error: string | null;
  size: number | null;
  name_ok: boolean | null;
  [k: string]: unknown;
}

async function inspect(args: string[], cwd: string): Promise<{ code: number; out: string; err: string; lines: JsonLine[] }> {
  const io = fakeIO(cwd);
  const code = await main(['inspect', ...args], io);
  const out = io.stdout();
  const lines = args.includes('--json') && !args.includes('--quiet') && !args.includes('-q') ? out.split('\n').filter(Boolean).map((l) => JSON.parse(l) as JsonLine) : [];
  return { code, out, err: io.stderr(), lines };
}

/** The checks every report must pass, whatever the input. */
function assertCoherent(r: Report, what: string): void {
  assert.equal(r.error, errorText(r.problems), `${what}: error is the joined problems`);
  if (r.object === null) {
    assert.equal(r.type, null, what);
    assert.equal(r.version, null, what);
    assert.equal(r.ghid, null, what);
    assert.equal(r.hash_ok, null, what);
    assert.equal(r.signature_ok, null, what);
    assert.equal(r.signature, 'not checked', what);
    assert.ok(r.error !== null, `${what}: an unparseable file always carries an error`);
  } else {
    assert.equal(r.type, r.object.type, what);
    assert.equal(r.version, r.object.version, what);
    assert.equal(r.ghid, r.object.ghid.text, what);
    assert.equal(typeof r.hash_ok, 'boolean', what);
    const signed = r.type !== 'GIDC' && r.type !== 'GARQ';
    if (!signed) assert.equal(r.signature, 'n/a', `${what}: a ${r.type} carries no signature`);
    else if (r.hash_ok === false) assert.equal(r.signature, 'not checked', `${what}: no signature check on a hash mismatch`);
    assert.equal(r.signature_ok, r.signature === 'ok' ? true : r.signature === 'bad' ? false : null, what);
  }
  const line = JSON.parse(jsonLine(r)) as Record<string, unknown>;
  assert.equal(line.file, r.file);
  assert.equal(line.error, r.error);
  for (const full of [false, true]) {
    const block = humanBlock(r, { full });
    assert.doesNotMatch(block, /undefined|NaN|\[object /, `${what}: human block\n${block}`);
    assert.equal(block.split('\n').filter((l) => l.startsWith('  error: ')).length, r.problems.length, `${what}: one error line per problem`);
  }
}

let tmp: string;
before(() => {
  tmp = mkdtempSync(join(tmpdir(), 'hgx-examine-'));
});
after(() => rmSync(tmp, { recursive: true, force: true }));

let dirCounter = 0;
function freshDir(label: string): string {
  const dir = join(tmp, `${label}-${dirCounter++}`);
  mkdirSync(dir, { recursive: true });
  return dir;
}

// ---------------------------------------------------------------------------------------------

describe('examine(): the facts of intact objects', () => {
  test('every vector object: type, version, GHID, signer, size and name as the bytes say; signatures verify', async () => {
    for (const s of samples) {
      const r = await examine(join('cache', s.name), s.raw, ctx);
      assertCoherent(r, s.name);
      assert.equal(r.type, s.obj.type, s.name);
      assert.equal(r.version, s.obj.version, s.name);
      assert.equal(r.ghid, s.name.slice(0, -'.ghid'.length), `${s.name}: the GHID is the file's name`);
      assert.equal(r.size, s.raw.length);
      assert.equal(r.hash_ok, true);
      assert.equal(r.name_ok, true);
      assert.equal(r.error, null, `${s.name}: ${r.error}`);
      const signed = !['GIDC', 'GARQ'].includes(s.obj.type);
      assert.equal(r.signature, signed ? 'ok' : 'n/a', s.name);
      const expectedAuthor = s.obj.type === 'GEOC' ? s.obj.author : s.obj.type === 'GOBS' || s.obj.type === 'GOBD' ? s.obj.binder : s.obj.type === 'GDXX' ? s.obj.debinder : null;
      assert.equal(r.author, expectedAuthor?.text ?? null, s.name);
    }
  });

  test('without the identities: unknown signer, not an error; with strict: an InvalidIdentity error', async () => {
    for (const s of typical) {
      const lenient = await examine(s.name, s.raw, noIds);
      const strict = await examine(s.name, s.raw, { identities: new Map(), strict: true });
      assertCoherent(lenient, s.name);
      assertCoherent(strict, s.name);
      if (s.obj.type === 'GIDC' || s.obj.type === 'GARQ') {
        assert.equal(lenient.signature, 'n/a');
        assert.equal(strict.error, null, 'nothing to sign for a GIDC or GARQ, even with strict');
      } else {
        assert.equal(lenient.signature, 'unknown signer');
        assert.equal(lenient.error, null);
        assert.equal(strict.signature, 'unknown signer');
        assert.deepEqual(strict.problems.map((p) => p.kind), ['InvalidIdentity']);
      }
    }
  });

  test('the name check: a non-GHID name is not checked, a foreign GHID name is a FileNameMismatch, a GOBD answers to its frame GHID', async () => {
    const any = await examine('/x/some-object.bin', geoc.raw, ctx);
    assert.equal(any.name_ok, null);
    assert.equal(any.error, null);
    const notGhid = await examine('/x/not-a-ghid.ghid', geoc.raw, ctx);
    assert.equal(notGhid.name_ok, null);
    const wrong = await examine(`/x/${gobs.name}`, geoc.raw, ctx);
    assert.equal(wrong.name_ok, false);
    assert.equal(wrong.hash_ok, true);
    assert.equal(wrong.type, 'GEOC');
    assert.deepEqual(wrong.problems.map((p) => p.kind), ['FileNameMismatch']);
    // A GOBD named after its dynamic GHID is not named after its frame GHID.
    assert.equal(gobd16Later.obj.type, 'GOBD');
    const dyn = gobd16Later.obj.type === 'GOBD' ? gobd16Later.obj.dynamic.text : '';
    const byDynamic = await examine(`/x/${dyn}.ghid`, gobd16Later.raw, ctx);
    assert.equal(byDynamic.name_ok, false);
    assert.equal(byDynamic.ghid, gobd16Later.name.slice(0, -5), 'the reported GHID is the frame GHID');
  });

  test('a signed object whose signer GIDC is present but whose signature is another identity\'s: bad, VerificationFailure', async () => {
    // A GEOC by identity 0 with identity 1's signature bytes appended instead (same length).
    const author = v16Identity(0);
    const unsigned = packGeoc(author.ghid, Buffer.from('payload'));
    const good = await signUnsigned(unsigned, author);
    const other = await signUnsigned(unsigned, v16Identity(1));
    const forged = Buffer.concat([good.subarray(0, good.length - 512), other.subarray(other.length - 512)]);
    const r = await examine('forged.bin', forged, ctx);
    assertCoherent(r, 'forged');
    assert.equal(r.type, 'GEOC');
    assert.equal(r.hash_ok, true);
    assert.equal(r.signature, 'bad');
    assert.deepEqual(r.problems.map((p) => p.kind), ['VerificationFailure']);
    assert.equal((await examine('good.bin', good, ctx)).signature, 'ok');
  });

  test('a GEOC past the 256 KiB async-hash threshold: verified off-thread, and its damage still found', async () => {
    const author = v16Identity(0);
    const big = await signUnsigned(packGeoc(author.ghid, Buffer.alloc(300_000, 0x5a)), author);
    const name = `${parseObject(big).ghid.text}.ghid`;
    const ok = await examine(name, big, ctx);
    assertCoherent(ok, 'big');
    assert.equal(ok.hash_ok, true);
    assert.equal(ok.signature, 'ok');
    assert.equal(ok.name_ok, true);
    assert.equal(ok.size, big.length);
    assert.equal(JSON.parse(jsonLine(ok)).payload_length, 300_000);

    const flipped = Buffer.from(big);
    flipped[150_000] = flipped[150_000]! ^ 0x01; // inside the payload
    const bad = await examine(name, flipped, ctx);
    assertCoherent(bad, 'big flipped');
    assert.equal(bad.type, 'GEOC');
    assert.equal(bad.hash_ok, false);
    assert.equal(bad.ghid, ok.ghid, 'the GHID shown is the stored one');
    assert.match(bad.error!, /^MalformedGolixPrimitive: GEOC: hash mismatch/);

    const sig = Buffer.from(big);
    sig[sig.length - 1] = sig[sig.length - 1]! ^ 0x80; // inside the signature
    const badSig = await examine(name, sig, ctx);
    assert.equal(badSig.hash_ok, true);
    assert.equal(badSig.signature, 'bad');

    const cut = await examine(name, big.subarray(0, big.length - 1), ctx);
    assertCoherent(cut, 'big truncated');
    assert.equal(cut.type, null);
    assert.match(cut.error!, /^MalformedGolixPrimitive: /);
  });

  test('maxBytes: an object of exactly the limit parses, one byte over is refused without a type', async () => {
    const at = await examine('x', geoc.raw, { ...ctx, maxBytes: geoc.raw.length });
    assert.equal(at.error, null);
    const over = await examine('x', geoc.raw, { ...ctx, maxBytes: geoc.raw.length - 1 });
    assertCoherent(over, 'over');
    assert.equal(over.type, null);
    assert.equal(over.size, geoc.raw.length);
    assert.match(over.error!, new RegExp(`^MalformedGolixPrimitive: Object of ${geoc.raw.length} bytes exceeds the ${geoc.raw.length - 1}-byte limit`));
  });

  test('GOBD counters: exact up to 2^53 - 1 as a JSON number, beyond as a decimal string, exact in the human line', async () => {
    const id = v16Identity(0);
    const target = gobs.obj.ghid;
    for (const counter of [0n, BigInt(Number.MAX_SAFE_INTEGER), BigInt(Number.MAX_SAFE_INTEGER) + 1n, 2n ** 64n - 1n]) {
      const raw = await signUnsigned(packGobd(id.ghid, counter, [target]).unsigned, id);
      const r = await examine(`c${counter}`, raw, ctx);
      assertCoherent(r, `counter ${counter}`);
      assert.equal(r.error, null);
      const line = JSON.parse(jsonLine(r)) as Record<string, unknown>;
      const expected = counter <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(counter) : counter.toString();
      assert.equal(line.counter, expected);
      assert.equal(line.dynamic_verified, true, 'a one-target frame has its dynamic GHID checked');
      assert.match(humanBlock(r, { full: true }), new RegExp(`counter ${counter}  dynamic `));
    }
  });
});

describe('examine(): damaged bytes', () => {
  test('every truncation of one object of each type: no type, MalformedGolixPrimitive, never a throw', async () => {
    for (const s of typical) {
      for (let n = 0; n < s.raw.length; n++) {
        const r = await examine(s.name, s.raw.subarray(0, n), ctx);
        if (r.type !== null || !r.error?.startsWith('MalformedGolixPrimitive: ')) {
          assert.fail(`${s.name} cut to ${n} bytes: type ${r.type}, error ${r.error}`);
        }
        assert.equal(r.size, n);
      }
      for (const extra of [Buffer.of(0), Buffer.alloc(65, 1), Buffer.alloc(4096, 0xff)]) {
        const r = await examine(s.name, Buffer.concat([s.raw, extra]), ctx);
        assertCoherent(r, `${s.name} + ${extra.length}`);
        assert.equal(r.type, null, `${s.name} with ${extra.length} trailing bytes`);
        assert.match(r.error!, /^MalformedGolixPrimitive: .*trailing bytes/);
      }
    }
  });

  test('every single-bit flip of one object of each type is an error, the type is never misreported, the shown GHID is the stored one', async () => {
    for (const s of typical) {
      const ghidAt = s.obj.hashedLength - 1; // algo byte of the own GHID
      for (let i = 0; i < s.raw.length; i++) {
        if (s.obj.type === 'GARQ' && i >= GARQ_MAC_AT) continue; // the recipient-only MAC
        const bit = 1 << (i % 8);
        const damaged = Buffer.from(s.raw);
        damaged[i] = damaged[i]! ^ bit;
        const r = await examine(s.name, damaged, ctx);
        const what = `${s.name} bit ${i % 8} of byte ${i}`;
        if (r.error === null) assert.fail(`${what}: reported as a sound object`);
        if (r.type !== null && r.type !== s.obj.type) assert.fail(`${what}: reported as ${r.type}`);
        if (r.type !== null && (i < ghidAt || i >= ghidAt + 65)) {
          if (r.ghid !== s.obj.ghid.text) assert.fail(`${what}: GHID ${r.ghid}`);
        }
        if (i >= s.obj.hashedLength + 64 && s.obj.type !== 'GIDC' && s.obj.type !== 'GARQ') {
          // Signature bytes: the hash still matches and the signature is what is wrong.
          if (r.hash_ok !== true || r.signature !== 'bad') assert.fail(`${what}: hash_ok ${r.hash_ok}, signature ${r.signature}`);
        }
        if (i === 200 % s.raw.length) assertCoherent(r, what);
      }
    }
  });

  test('seeded random damage over every vector object: coherent reports, never a silent pass', async () => {
    const rand = rng(0x1d5c0ffe);
    let damaged = 0;
    for (let round = 0; round < 4; round++) {
      for (const s of samples) {
        if (s.raw.length > 60_000) continue;
        const bytes = mutate(s.raw, rand);
        if (bytes.equals(s.raw)) continue;
        const r = await examine(s.name, bytes, ctx);
        const what = `round ${round} ${s.name} (${bytes.length} bytes)`;
        assertCoherent(r, what);
        if (r.type !== null) assert.equal(r.type, s.obj.type, what);
        if (r.hash_ok === true) assert.equal(parseObject(bytes).ghid.text, r.ghid, `${what}: hash_ok true means it re-parses`);
        const macOnly = s.obj.type === 'GARQ' && bytes.length === s.raw.length && [...bytes.keys()].every((k) => k >= GARQ_MAC_AT || bytes[k] === s.raw[k]);
        if (!macOnly) assert.notEqual(r.error, null, `${what}: damage went unreported`);
        damaged++;
      }
    }
    assert.ok(damaged > 400, `${damaged} damaged objects`);
  });

  test('hostile length fields: huge GEOC payload length, GOBD vector and history lengths', async () => {
    // GEOC: u64 payload length at offset 74.
    for (const len of [2n ** 64n - 1n, 2n ** 53n + 1n, BigInt(geoc.raw.length), 0n]) {
      const bytes = Buffer.from(geoc.raw);
      bytes.writeBigUInt64BE(len, 74);
      const r = await examine('geoc', bytes, ctx);
      assertCoherent(r, `GEOC length ${len}`);
      assert.equal(r.type, null, `GEOC length ${len}`);
      assert.match(r.error!, /^MalformedGolixPrimitive: /);
    }
    // GOBD v16: u16 vector length at offset 82; v15: u16 history length at offset 74.
    for (const [s, at] of [[gobd16Later, 82], [gobd15Later, 74]] as const) {
      for (const len of [0, 1, 64, 65 * 1000, 0xffff]) {
        const bytes = Buffer.from(s.raw);
        bytes.writeUInt16BE(len, at);
        const r = await examine('gobd', bytes, ctx);
        assertCoherent(r, `GOBD v${s.obj.version} length ${len}`);
        assert.equal(r.type, null, `GOBD v${s.obj.version} length ${len}`);
      }
    }
    // The magic of one type with the version of another.
    const swapped = Buffer.from(gobs.raw);
    swapped.write('GDXX', 0, 'latin1');
    const r = await examine('swap', swapped, ctx);
    assertCoherent(r, 'swap');
    assert.equal(r.type, null);
    assert.match(r.error!, /Unsupported GDXX version 6/);
  });

  test('a first v16 frame whose dynamic GHID is wrong (own hash recomputed to match): reported, never passed', async () => {
    assert.equal(gobd16First.obj.type, 'GOBD');
    const o = gobd16First.obj;
    if (o.type !== 'GOBD') return;
    const bytes = Buffer.from(o.raw);
    const dynAt = o.hashedLength - 1 - 64; // the dynamic digest sits just before the own algo byte
    bytes[dynAt] = bytes[dynAt]! ^ 0x01;
    sha512(bytes.subarray(0, o.hashedLength)).copy(bytes, o.hashedLength);
    const r = await examine('frame', bytes, ctx);
    assertCoherent(r, 'dynamic');
    assert.equal(r.type, 'GOBD');
    assert.notEqual(r.error, null);
    assert.match(r.error!, /dynamic address does not match/);
  });

  test('tooLarge() and unreadable(): no type, the right words for people, the size as known', () => {
    const big = tooLarge('a/big.ghid', 20_000_000);
    assertCoherent(big, 'big');
    assert.equal(big.size, 20_000_000);
    assert.match(big.error!, new RegExp(`^MalformedGolixPrimitive: Object of 20000000 bytes exceeds the ${DEFAULT_MAX_OBJECT_BYTES}-byte limit`));
    assert.match(humanBlock(big, { full: false }), /^a\/big\.ghid\n {2}malformed \(20000000 bytes\)\n {2}error: not a valid Golix object: /);

    const err = Object.assign(new Error("EACCES: permission denied, open 'x'"), { code: 'EACCES' });
    const u = unreadable('a/x.ghid', null, err);
    assertCoherent(u, 'unreadable');
    assert.equal(u.size, null);
    assert.equal(humanBlock(u, { full: false }), "a/x.ghid\n  unreadable (size unknown)\n  error: could not be read: EACCES: permission denied, open 'x'");
    const odd = unreadable('y', 3, 'a string thrown');
    assert.deepEqual(odd.problems, [{ kind: 'Error', message: 'a string thrown' }]);
  });
});

describe('format: JSON lines, human blocks, the summary', () => {
  test('jsonLine: the eight required fields first, then only the extras of the type', async () => {
    const extrasByType: Record<string, string[]> = {
      GIDC: [],
      GEOC: ['payload_length'],
      GOBS: ['binder', 'target'],
      GDXX: ['debinder', 'target'],
      GOBD16: ['binder', 'counter', 'dynamic', 'dynamic_verified', 'targets'],
      GOBD15: ['binder', 'counter', 'dynamic', 'dynamic_verified', 'targets', 'history'],
      GARQ: ['recipient'],
    };
    const base = ['file', 'type', 'version', 'ghid', 'author', 'hash_ok', 'signature_ok', 'error', 'problems', 'signature', 'name_ok', 'size'];
    for (const s of typical) {
      const r = await examine(s.name, s.raw, ctx);
      const line = JSON.parse(jsonLine(r)) as Record<string, unknown>;
      const key = s.obj.type === 'GOBD' ? `GOBD${s.obj.version}` : s.obj.type;
      assert.deepEqual(Object.keys(line), [...base, ...extrasByType[key]!], s.name);
      if (s.obj.type === 'GOBD') {
        assert.deepEqual(line.targets, s.obj.targets.map((t) => t.text));
        assert.equal(line.dynamic, s.obj.dynamic.text);
        if (s.obj.version === 15) {
          assert.equal(line.counter, null);
          assert.deepEqual(line.history, s.obj.history.map((h) => h.text));
        }
      }
      // Same report, same line: output is stable.
      assert.equal(jsonLine(r), jsonLine(await examine(s.name, s.raw, ctx)));
    }
  });

  test('humanBlock: short GHIDs unless full, the shortened file name, history and targets as parsed', async () => {
    const r = await examine(join('cache', gobd15Later.name), gobd15Later.raw, ctx);
    const short = humanBlock(r, { full: false });
    const full = humanBlock(r, { full: true });
    assert.equal(short.split('\n')[0], join('cache', `${gobd15Later.name.slice(0, 12)}….ghid`));
    assert.equal(full.split('\n')[0], join('cache', gobd15Later.name));
    assert.ok(gobd15Later.obj.type === 'GOBD');
    if (gobd15Later.obj.type !== 'GOBD') return;
    assert.ok(full.includes(`history ${gobd15Later.obj.history.map((h) => h.text).join(' ')} (newest first)`), full);
    assert.ok(!/[A-Za-z0-9_-]{40}/.test(short), short);
    const first = humanBlock(await examine('f', gobd15First.raw, ctx), { full: false });
    assert.match(first, /history none \(first frame\)/);
    const later16 = humanBlock(await examine('g', gobd16Later.raw, ctx), { full: true });
    assert.ok(gobd16Later.obj.type === 'GOBD');
    if (gobd16Later.obj.type === 'GOBD') assert.ok(later16.includes(`targets ${gobd16Later.obj.targets.map((t) => t.text).join(' ')} (newest first)`));
    const gidcBlock = humanBlock(await examine('i', gidc.raw, ctx), { full: false });
    assert.equal(gidcBlock, `i\n  GIDC v2  ${gidc.name.slice(0, 12)}…  hash ok  signature n/a\n  identity (${GIDC_SIZE} bytes)`);
  });

  test('humanBlock flags a hash mismatch and a name mismatch on the same line, with one error line each', async () => {
    const bytes = Buffer.from(geoc.raw);
    bytes[100] = bytes[100]! ^ 0x10;
    const r = await examine(`d/${gobs.name}`, bytes, ctx);
    const lines = humanBlock(r, { full: false }).split('\n');
    assert.match(lines[1]!, /^ {2}GEOC v14 {2}\S{12}… {2}hash MISMATCH {2}signature not checked {2}name MISMATCH$/);
    assert.deepEqual(r.problems.map((p) => p.kind), ['MalformedGolixPrimitive', 'FileNameMismatch']);
    assert.equal(lines.filter((l) => l.startsWith('  error: ')).length, 2);
  });

  test('Tally: counts by type in protocol order, invalid last, singular and plural, JSON summary', async () => {
    const t = new Tally();
    assert.equal(t.line(), '0 objects; signatures: 0 ok, 0 bad, 0 unknown signer; 0 failures');
    t.add(await examine('a', garq.raw, ctx));
    assert.equal(t.line(), '1 object (1 GARQ); signatures: 0 ok, 0 bad, 0 unknown signer; 0 failures');
    t.add(await examine('b', Buffer.alloc(0), ctx));
    t.add(await examine('c', geoc.raw, noIds));
    t.add(await examine('d', gidc.raw, ctx));
    t.add(await examine('e', gobs.raw, ctx));
    assert.equal(t.line(), '5 objects (1 GIDC, 1 GEOC, 1 GOBS, 1 GARQ, 1 invalid); signatures: 1 ok, 0 bad, 1 unknown signer; 1 failure');
    assert.deepEqual(JSON.parse(t.json()), {
      summary: true,
      objects: 5,
      by_type: { GIDC: 1, GEOC: 1, GOBS: 1, GARQ: 1, invalid: 1 },
      signatures: { ok: 1, bad: 0, unknown_signer: 1 },
      failures: 1,
    });
    assert.deepEqual(Object.keys(JSON.parse(t.json()).by_type), ['GIDC', 'GEOC', 'GOBS', 'GARQ', 'invalid']);
  });
});

describe('pool: mapLimit and forEachOrdered', () => {
  function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
    let resolve!: (v: T) => void;
    const promise = new Promise<T>((r) => (resolve = r));
    return { promise, resolve };
  }

  test('mapLimit keeps input order and never exceeds the limit; empty input and limit 0 are fine', async () => {
    let inFlight = 0;
    let peak = 0;
    const items = Array.from({ length: 50 }, (_, i) => i);
    const out = await mapLimit(items, 7, async (x) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      // Finish out of order: later items sooner.
      for (let k = 0; k < 50 - x; k++) await Promise.resolve();
      inFlight--;
      return x * 2;
    });
    assert.deepEqual(out, items.map((x) => x * 2));
    assert.ok(peak <= 7 && peak > 1, `peak ${peak}`);
    assert.deepEqual(await mapLimit([], 4, async () => 1), []);
    assert.deepEqual(await mapLimit([1, 2, 3], 0, async (x) => x), [1, 2, 3]);
  });

  test('forEachOrdered: emits strictly in input order whatever order the work finishes, within the count and byte limits', async () => {
    const n = 40;
    const gates = Array.from({ length: n }, () => deferred<void>());
    const weights = Array.from({ length: n }, (_, i) => (i * 37) % 100 + 1);
    const started: number[] = [];
    let inFlight = 0;
    let bytes = 0;
    let peak = 0;
    let peakBytes = 0;
    const emitted: number[] = [];
    const done = forEachOrdered(
      Array.from({ length: n }, (_, i) => i),
      { limit: 5, byteBudget: 200, weight: (i) => weights[i]! },
      async (i) => {
        started.push(i);
        inFlight++;
        bytes += weights[i]!;
        peak = Math.max(peak, inFlight);
        peakBytes = Math.max(peakBytes, bytes);
        await gates[i]!.promise;
        inFlight--;
        bytes -= weights[i]!;
        return i * 10;
      },
      (result, index) => {
        assert.equal(result, index * 10);
        emitted.push(index);
      },
    );
    // Release in reverse order of starting, repeatedly, until all are done: no timers involved.
    const released = new Set<number>();
    let settled = false;
    void done.then(() => (settled = true));
    while (!settled) {
      const pending = started.filter((i) => !released.has(i));
      for (const i of pending.reverse()) {
        released.add(i);
        gates[i]!.resolve();
      }
      await new Promise((r) => setImmediate(r));
    }
    await done;
    assert.deepEqual(emitted, Array.from({ length: n }, (_, i) => i));
    assert.ok(peak <= 5, `peak ${peak}`);
    assert.ok(peakBytes <= 200, `peak bytes ${peakBytes}`);
  });

  test('forEachOrdered: an item heavier than the whole budget still runs, alone', async () => {
    const seen: number[] = [];
    let inFlight = 0;
    let peakWhileHeavy = 0;
    await forEachOrdered(
      [1, 1000, 1],
      { limit: 10, byteBudget: 10, weight: (w) => w },
      async (w) => {
        inFlight++;
        await Promise.resolve();
        if (w === 1000) peakWhileHeavy = inFlight;
        inFlight--;
        return w;
      },
      (w) => seen.push(w),
    );
    assert.deepEqual(seen, [1, 1000, 1]);
    assert.equal(peakWhileHeavy, 1);
  });
});

describe('io: readKnownSize', () => {
  test('reads a file whose size changed since stat: shorter, longer, and past the limit', async () => {
    const dir = freshDir('io');
    const p = join(dir, 'f');
    writeFileSync(p, Buffer.alloc(100, 1));
    assert.equal((await readKnownSize(p, 100, 1000)).length, 100);
    assert.equal((await readKnownSize(p, 500, 1000)).length, 100, 'shrunk since stat');
    assert.equal((await readKnownSize(p, 10, 1000)).length, 100, 'grew since stat');
    await assert.rejects(readKnownSize(p, 10, 50), (e: unknown) => e instanceof FileTooLarge && e.limit === 50);
    assert.equal((await readKnownSize(p, 10, 100)).length, 100, 'exactly the limit');
    await assert.rejects(readKnownSize(join(dir, 'missing'), 1, 10), /ENOENT/);
    await assert.rejects(readKnownSize(dir, 4096, 10_000), /EISDIR/);
  });
});

describe('collectFiles', () => {
  test('sorted by display path, each absolute path once, non-.ghid entries skipped but a named file taken', async () => {
    const dir = freshDir('collect');
    for (const n of ['b.ghid', 'a.ghid', 'C.ghid', 'notes.txt', 'a.ghid.bak']) writeFileSync(join(dir, n), 'x');
    writeFileSync(join(dir, 'other.bin'), 'yy');
    const base = basename(dir);
    const files = await collectFiles([base, `${base}/`, `${base}/a.ghid`, `./${base}/other.bin`], tmp, false, 4);
    const names = files.map((f) => String(f.path).slice(dir.length + 1));
    assert.deepEqual(names.sort(), ['C.ghid', 'a.ghid', 'b.ghid', 'other.bin']);
    const displays = files.map((f) => f.display);
    assert.deepEqual(displays, [...displays].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    assert.ok(files.every((f) => f.statError === null && f.size !== null));
    assert.equal(files.find((f) => String(f.path).endsWith('other.bin'))!.size, 2);
  });

  test('recursion: subdirectories only with -r; a directory named *.ghid is descended into, not read; a link back up does not loop', async () => {
    const dir = freshDir('tree');
    mkdirSync(join(dir, 'sub', 'deeper'), { recursive: true });
    mkdirSync(join(dir, 'looks.ghid'));
    writeFileSync(join(dir, 'top.ghid'), 'x');
    writeFileSync(join(dir, 'sub', 's.ghid'), 'x');
    writeFileSync(join(dir, 'sub', 'deeper', 'd.ghid'), 'x');
    writeFileSync(join(dir, 'looks.ghid', 'in.ghid'), 'x');
    symlinkSync('..', join(dir, 'sub', 'up'));
    symlinkSync('.', join(dir, 'self'));
    const flat = await collectFiles([dir], '/', false, 4);
    assert.deepEqual(flat.map((f) => f.path.slice(dir.length + 1)), ['top.ghid']);
    const deep = await collectFiles([dir], '/', true, 4);
    assert.deepEqual(deep.map((f) => f.path.slice(dir.length + 1)), ['looks.ghid/in.ghid', 'sub/deeper/d.ghid', 'sub/s.ghid', 'top.ghid']);
  });

  test('a missing PATH, or a PATH through a file, is a usage error (exit 2); a symlink loop as PATH too', async () => {
    const dir = freshDir('missing');
    writeFileSync(join(dir, 'file'), 'x');
    symlinkSync('loop-b', join(dir, 'loop-a'));
    symlinkSync('loop-a', join(dir, 'loop-b'));
    for (const [arg, pattern] of [['nope', /nope: no such file or directory/], ['file/inside', /file\/inside: no such file or directory/], ['loop-a', /loop-a: cannot access \(ELOOP\)/]] as const) {
      await assert.rejects(collectFiles([arg], dir, false, 4), (e: unknown) => e instanceof CliError && e.exitCode === 2 && pattern.test(e.message), arg);
    }
  });

  test('broken entries in a folder are listed with their stat error, not dropped: dangling link, link loop', async () => {
    const dir = freshDir('broken');
    symlinkSync(join(dir, 'gone'), join(dir, 'dangling.ghid'));
    symlinkSync('loop2.ghid', join(dir, 'loop1.ghid'));
    symlinkSync('loop1.ghid', join(dir, 'loop2.ghid'));
    const files = await collectFiles([dir], '/', false, 4);
    assert.equal(files.length, 3);
    for (const f of files) {
      assert.equal(f.size, null, f.display);
      assert.ok(f.statError instanceof Error, f.display);
    }
    assert.match(String(files.find((f) => f.display.endsWith('dangling.ghid'))!.statError), /ENOENT/);
    assert.match(String(files.find((f) => f.display.endsWith('loop1.ghid'))!.statError), /ELOOP/);
  });
});

describe('the command over hostile folders', () => {
  test('damaged entries of every kind are each reported with an error and the run exits 1', async () => {
    const dir = freshDir('hostile');
    writeFileSync(join(dir, geoc.name), geoc.raw); // fine, for contrast
    writeFileSync(join(dir, 'empty.ghid'), '');
    writeFileSync(join(dir, 'trunc.ghid'), gidc.raw.subarray(0, 500));
    mkdirSync(join(dir, 'sub'));
    symlinkSync(join(dir, 'sub'), join(dir, 'dirlink.ghid'));
    symlinkSync(join(dir, 'gone'), join(dir, 'dangling.ghid'));
    symlinkSync('loopb.ghid', join(dir, 'loopa.ghid'));
    symlinkSync('loopa.ghid', join(dir, 'loopb.ghid'));
    symlinkSync('/proc/self/mem', join(dir, 'eio.ghid')); // open works, read fails (EIO)
    const sparse = join(dir, 'sparse.ghid');
    writeFileSync(sparse, '');
    truncateSync(sparse, DEFAULT_MAX_OBJECT_BYTES + 1); // never read: refused by its size

    const { code, lines, err } = await inspect(['--json', dir], '/');
    assert.equal(code, 1, err);
    const by = (n: string) => {
      const l = lines.find((x) => x.file === join(dir, n));
      assert.ok(l, `${n} missing from the output`);
      return l;
    };
    assert.equal(by(geoc.name).error, null);
    for (const n of ['empty.ghid', 'trunc.ghid', 'dirlink.ghid', 'dangling.ghid', 'loopa.ghid', 'loopb.ghid', 'eio.ghid', 'sparse.ghid']) {
      const l = by(n);
      assert.equal(l.type, null, n);
      assert.ok(typeof l.error === 'string' && l.error.length > 0, n);
    }
    assert.match(by('dirlink.ghid').error!, /not a regular file/, 'a link to a folder is not opened');
    assert.match(by('loopa.ghid').error!, /ELOOP/);
    assert.match(by('eio.ghid').error!, /EIO/);
    assert.equal(by('sparse.ghid').size, DEFAULT_MAX_OBJECT_BYTES + 1);
    assert.match(by('sparse.ghid').error!, /exceeds/);
    assert.equal(lines.length, 9);
    assert.match(err, /^9 objects \(1 GEOC, 8 invalid\); .* 8 failures\n$/);
  });

  test('a mixed folder of 400 files: every damaged one flagged, every sound one passes, output in name order', async () => {
    const dir = freshDir('mixed');
    const rand = rng(4242);
    const small = samples.filter((s) => s.raw.length < 60_000);
    let expectedFailures = 0;
    const expectFail = new Set<string>();
    for (let i = 0; i < 400; i++) {
      const s = small[i % small.length]!;
      if (i < small.length) {
        writeFileSync(join(dir, s.name), s.raw);
        continue;
      }
      // The GARQ MAC is unverifiable by design (golix §3.8): damage a GARQ by truncating it.
      const bytes = s.obj.type === 'GARQ' ? s.raw.subarray(0, 10 + (i % 600)) : mutate(s.raw, rand);
      const name = `m${String(i).padStart(4, '0')}.ghid`;
      writeFileSync(join(dir, name), bytes);
      if (!bytes.equals(s.raw)) {
        expectedFailures++;
        expectFail.add(name);
      }
    }
    const { code, lines, err } = await inspect(['--json', dir], '/');
    assert.equal(code, 1);
    assert.equal(lines.length, 400);
    const files = lines.map((l) => l.file);
    assert.deepEqual(files, [...files].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0)));
    for (const l of lines) {
      const base = l.file.slice(dir.length + 1);
      if (expectFail.has(base)) assert.notEqual(l.error, null, `${base} passed`);
      else if (!base.startsWith('m')) assert.equal(l.error, null, `${base}: ${l.error}`);
    }
    assert.match(err, new RegExp(`; ${expectedFailures} failures\\n$`));
  });

  test('a FIFO in a folder is not opened (it would block the whole run until someone writes to it)', async () => {
    const dir = freshDir('fifo');
    writeFileSync(join(dir, geoc.name), geoc.raw);
    const fifo = join(dir, 'pipe.ghid');
    execFileSync('mkfifo', [fifo]);
    let settled = false;
    const run = inspect(['--json', dir], '/').finally(() => (settled = true));
    // If inspect opens the FIFO for reading it blocks there for ever; detect that (a non-blocking
    // open for writing succeeds only while a reader is waiting) and release it with an EOF.
    let openedByInspect = false;
    while (!settled) {
      try {
        closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
        openedByInspect = true;
        break;
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'ENXIO') throw e;
      }
      await new Promise((r) => setImmediate(r));
    }
    const { lines } = await run;
    assert.ok(lines.some((l) => l.file.endsWith(geoc.name) && l.error === null));
    assert.equal(openedByInspect, false, 'inspect opened the FIFO and waited on it for a writer');
  });

  test('a GIDC given through a pipe is among the inputs: its objects verify (and --strict does not fail them)', async () => {
    const dir = freshDir('pipe-gidc');
    const fifo = join(dir, 'identity.pipe');
    execFileSync('mkfifo', [fifo]);
    const author = samples.find((s) => s.obj.type === 'GIDC' && s.obj.ghid.equals(geoc.obj.type === 'GEOC' ? geoc.obj.author : null))!;
    assert.ok(author, 'the GEOC author GIDC');
    const writer = createWriteStream(fifo);
    let writerOpened = false;
    writer.on('open', () => (writerOpened = true));
    const writerDone = new Promise<void>((resolve) => {
      writer.on('close', () => resolve());
      writer.on('error', () => resolve());
    });
    writer.end(author.raw);
    writeFileSync(join(dir, geoc.name), geoc.raw);
    const r = await inspect(['--json', '--strict', fifo, join(dir, geoc.name)], '/');
    if (!writerOpened) closeSync(openSync(fifo, constants.O_RDONLY | constants.O_NONBLOCK)); // release the writer
    await writerDone;
    const gidcLine = r.lines.find((l) => l.file === fifo);
    assert.equal(gidcLine?.type, 'GIDC', 'the piped GIDC is read');
    const line = r.lines.find((l) => l.file.endsWith(geoc.name))!;
    assert.equal(line.signature, 'ok', `the GEOC's signer is the piped GIDC: ${line.error}`);
    assert.equal(r.code, 0, r.err);
  });

  test('a file whose name is not valid UTF-8 is read, not reported as missing', async () => {
    const dir = freshDir('latin1');
    const raw = Buffer.concat([Buffer.from(dir + '/caf'), Buffer.of(0xe9), Buffer.from('.ghid')]);
    writeFileSync(raw, geoc.raw);
    assert.equal(readdirSync(dir).length, 1);
    const { code, lines } = await inspect(['--json', dir], '/');
    assert.equal(lines.length, 1);
    assert.equal(lines[0]!.error, null, `reported: ${lines[0]!.error}`);
    assert.equal(lines[0]!.type, 'GEOC');
    assert.equal(code, 0);
  });

  test('control characters in a file name cannot forge lines in the human output', async () => {
    const dir = freshDir('ctrl');
    writeFileSync(join(dir, `x\n  GEOC v14  fake  hash ok  signature ok\n0 objects; 0 failures\x1b[2K\r.ghid`), geoc.raw);
    writeFileSync(join(dir, 'bad.ghid'), 'garbage');
    const { code, out } = await inspect([dir], '/');
    assert.equal(code, 1);
    // Two blocks (3 lines for the sound GEOC, 3 for the garbage) and the summary: 7 lines.
    const lines = out.trimEnd().split('\n');
    assert.equal(lines.length, 7, `the output has forged lines:\n${out}`);
    assert.doesNotMatch(out, /[\x00-\x08\x0b-\x1f\x7f]/, 'raw control characters reach the terminal');
  });

  test('a device that never ends (/dev/zero), named as an argument, is refused without inventing its size', async () => {
    const dir = freshDir('dev');
    symlinkSync('/dev/zero', join(dir, 'zero.ghid'));
    const listed = await inspect(['--json', dir], '/');
    assert.match(listed.lines[0]!.error!, /not a regular file/, 'found in a folder, it is not read at all');
    const { code, lines } = await inspect(['--json', join(dir, 'zero.ghid')], '/');
    assert.equal(code, 1);
    const l = lines[0]!;
    assert.equal(l.type, null);
    assert.match(l.error!, new RegExp(String(DEFAULT_MAX_OBJECT_BYTES)), 'the limit is named');
    assert.notEqual(l.size, DEFAULT_MAX_OBJECT_BYTES + 1, 'the size is unknown, not limit + 1');
    assert.doesNotMatch(l.error!, new RegExp(`Object of ${DEFAULT_MAX_OBJECT_BYTES + 1} bytes`), 'the error claims an exact size that nobody measured');
  });

  test('the same folder twice gives byte-identical output (human and JSON)', async () => {
    const dir = freshDir('stable');
    for (const s of typical) writeFileSync(join(dir, s.name), s.raw);
    writeFileSync(join(dir, 'zz.ghid'), Buffer.from(gobs.raw.subarray(0, 300)));
    for (const args of [['--json', dir], [dir], ['--full', dir]]) {
      const a = await inspect(args, '/');
      const b = await inspect(args, '/');
      assert.equal(a.out, b.out);
      assert.equal(a.err, b.err);
      assert.equal(a.code, 1);
    }
  });
});
