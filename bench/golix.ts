// bench/golix: the Golix core against its bound, raw node:crypto RSA-4096.
// Run: npm run bench -- golix [--quick]   (scripts/run-bench.mjs sets UV_THREADPOOL_SIZE)
//
// (a) raw RSA-4096 PSS-SHA512 sign (1, cores, and the in-flight counts (b) needs) and verify rates;
// (b) update cycles through makeUpdate (encrypt + GEOC + GOBD, two signatures in parallel) with 1
//     and 8 updates in flight, against half the raw sign rate with as many signatures in flight;
// (c) parse + verifyObject of real objects against raw verify of the same objects;
// (d) parse throughput over the vectors; keygen time for one identity;
// (e) `hypergolix inspect` over a generated 10,000-object ghidcache (the real binary).
// Raw and library measurements alternate run by run, so drift affects both alike.
import { spawn, execFileSync } from 'node:child_process';
import { constants, randomBytes, sign as signCb, verify as verifyCb, type KeyObject } from 'node:crypto';
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import {
  PrivateIdentity,
  PublicIdentity,
  Secret,
  frameOf,
  isSigned,
  makeUpdate,
  parseObject,
  signerOf,
  verifyObject,
  type Frame,
  type SignedObject,
} from '../src/core/golix/index.js';
import { V16_DIR, V2016_DIRS, manifestPrivateKey, v16Identity } from './lib/vectors.js';
import { machineInfo, machineMarkdown, waitForQuiet } from './lib/machine.js';
import { fmt, markdownTable, percent, textTable, writeSection, type Row } from './lib/report.js';
import { mean } from './lib/stats.js';
import { rate, ratePaired, rateSync, timeRepeated, type RateOptions, type RateResult } from './lib/timing.js';

const root = resolve(import.meta.dirname, '..');
const quick = process.argv.includes('--quick');
const machine = machineInfo();
const cores = machine.cores;
const T: Omit<RateOptions, 'inFlight'> = quick ? { seconds: 0.5, repeats: 3, warmupSeconds: 0.3 } : { seconds: 1.5, repeats: 5, warmupSeconds: 0.5 };
const TARGET = 0.9;
const UPDATE_DEPTHS = [1, 8];
const VERIFY_DEPTHS = [...new Set([cores, 64])];
const SIGN_DEPTHS = [...new Set([1, cores, ...UPDATE_DEPTHS.map((d) => 2 * d)])].sort((a, b) => a - b);
const PSS = { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: 64 } as const;
const CACHE_OBJECTS = 10_000;

const log = (s: string) => process.stdout.write(s + '\n');
const perSec = (r: RateResult) => `${fmt(r.perSecond)} /s ±${r.spread.toFixed(0)} %`;
const cpu = (r: RateResult) => (r.cpuPerOp >= 1000 ? `${fmt(r.cpuPerOp / 1000, 2)} ms` : `${fmt(r.cpuPerOp, 1)} µs`);

// ---------------------------------------------------------------- raw node:crypto

function rawSign(key: KeyObject, data: Buffer): Promise<Buffer> {
  return new Promise((res, rej) => signCb('sha512', data, { key, ...PSS }, (e, s) => (e ? rej(e) : res(s))));
}

function rawVerify(key: KeyObject, data: Buffer, sig: Buffer): Promise<boolean> {
  return new Promise((res, rej) => verifyCb('sha512', data, { key, ...PSS }, sig, (e, ok) => (e ? rej(e) : res(ok))));
}

// ---------------------------------------------------------------- inputs

const identity = v16Identity(0);
const signingKey = manifestPrivateKey(0);
const plaintext = randomBytes(1024);
// What the raw sign bound signs: a GEOC prefix of the same size as the updates' (1 KiB payload).
const signData = randomBytes(9 + 65 + 8 + 1024 + 1);

const vectorFiles = [
  ...readdirSync(join(V16_DIR, 'objects')).map((f) => join(V16_DIR, 'objects', f)),
  ...V2016_DIRS.flatMap((d) => readdirSync(d).filter((f) => f.endsWith('.ghid')).map((f) => join(d, f))),
].sort();
const vectorRaw = vectorFiles.map((f) => readFileSync(f));
const identities = new Map<string, PublicIdentity>();
for (const raw of vectorRaw) {
  const obj = parseObject(raw);
  if (obj.type === 'GIDC') identities.set(obj.ghid.text, PublicIdentity.fromGidc(obj));
}
const signedRaw = vectorRaw.filter((raw) => isSigned(parseObject(raw)));
const signedParsed = signedRaw.map((raw) => parseObject(raw) as SignedObject);
const rawVerifyInputs = signedParsed.map((o) => ({
  key: identities.get(signerOf(o)!.text)!.signingKey,
  data: o.raw.subarray(0, o.hashedLength),
  sig: o.signature,
}));

// ---------------------------------------------------------------- measurements

interface Figure {
  name: string;
  result: string;
  /** CPU time per operation, all threads. */
  cpu?: string;
  bound: string;
  /** Throughput over the bound's throughput (what the target applies to). */
  ratio: number | null;
  /** The bound's CPU time per operation over ours: the same ratio free of outside load. */
  cpuRatio?: number;
  target: number | null;
}
const figures: Figure[] = [];
const add = (f: Figure) => {
  figures.push(f);
  const status = f.target === null ? '' : f.ratio! >= f.target ? '  PASS' : '  FAIL';
  const cpuNote = f.cpu ? `, ${f.cpu} CPU/op` : '';
  const ratioNote = f.ratio !== null ? `  (${percent(f.ratio)} of ${f.bound}${f.cpuRatio !== undefined ? `; CPU-cost ratio ${percent(f.cpuRatio)}` : ''})` : '';
  log(`  ${f.name}: ${f.result}${cpuNote}${ratioNote}${status}`);
};

async function keygen(): Promise<void> {
  log('keygen: one identity (2x RSA-4096 in parallel + X25519), 3 times');
  const { samples } = await timeRepeated(3, () => PrivateIdentity.generate());
  add({ name: 'Keygen, one identity (2× RSA-4096 in parallel + X25519), mean of 3', result: `${fmt(mean(samples), 2)} s (${samples.map((s) => s.toFixed(2)).join(', ')})`, bound: '', ratio: null, target: null });
}

async function signAndUpdates(): Promise<void> {
  log(`raw sign at ${SIGN_DEPTHS.join(', ')} in flight; updates at ${UPDATE_DEPTHS.join(', ')} in flight (paired with raw sign at twice as many)`);
  const rawAt = new Map<number, RateResult>();
  for (const depth of SIGN_DEPTHS) {
    if (UPDATE_DEPTHS.some((u) => 2 * u === depth)) continue; // measured paired below
    const r = await rate({ ...T, inFlight: depth }, () => rawSign(signingKey, signData));
    rawAt.set(depth, r);
  }
  const updates = new Map<number, RateResult>();
  for (const depth of UPDATE_DEPTHS) {
    const previous: (Frame | undefined)[] = new Array(depth).fill(undefined);
    const update = async (w: number) => {
      const { frame } = await makeUpdate(identity, Secret.random(), plaintext, previous[w]);
      previous[w] = frameOf(frame);
    };
    const [raw, ours] = await ratePaired(T, { inFlight: 2 * depth, op: () => rawSign(signingKey, signData) }, { inFlight: depth, op: update });
    rawAt.set(2 * depth, raw);
    updates.set(depth, ours);
  }
  for (const depth of SIGN_DEPTHS) {
    const label = depth === 1 ? '1 in flight' : depth === cores ? `${depth} in flight (= cores)` : `${depth} in flight`;
    const r = rawAt.get(depth)!;
    add({ name: `Raw RSA-4096 PSS-SHA512 sign (async), ${label}`, result: perSec(r), cpu: cpu(r), bound: '', ratio: null, target: null });
  }
  for (const depth of UPDATE_DEPTHS) {
    const raw = rawAt.get(2 * depth)!;
    const ours = updates.get(depth)!;
    const bound = raw.perSecond / 2;
    add({
      name: `Update cycle (makeUpdate: encrypt 1 KiB + GEOC + GOBD, 2 signatures), ${depth} in flight`,
      result: perSec(ours),
      cpu: cpu(ours),
      bound: `raw sign at ${2 * depth} in flight ÷ 2 = ${fmt(bound)} /s`,
      ratio: ours.perSecond / bound,
      cpuRatio: (2 * raw.cpuPerOp) / ours.cpuPerOp,
      target: depth > 1 ? TARGET : null,
    });
  }
}

/** CPU per object: [raw verify, parse + verifyObject] at each depth, and parse alone. */
const overhead: { depth: number; raw: number; ours: number }[] = [];
let parseCpu = NaN;

async function verifies(): Promise<void> {
  log(`verify: raw vs parse + verifyObject over ${signedRaw.length} real signed objects, at ${VERIFY_DEPTHS.join(', ')} in flight`);
  for (const depth of VERIFY_DEPTHS) {
    const cursor = new Array<number>(depth).fill(0).map((_, w) => w);
    const raw = (w: number) => {
      const i = (cursor[w] = (cursor[w]! + depth) % rawVerifyInputs.length);
      const v = rawVerifyInputs[i]!;
      return rawVerify(v.key, v.data, v.sig);
    };
    const cursor2 = new Array<number>(depth).fill(0).map((_, w) => w);
    const ours = (w: number) => {
      const i = (cursor2[w] = (cursor2[w]! + depth) % signedRaw.length);
      const obj = parseObject(signedRaw[i]!) as SignedObject;
      return verifyObject(obj, identities.get(signerOf(obj)!.text)!);
    };
    const [r, o] = await ratePaired(T, { inFlight: depth, op: raw }, { inFlight: depth, op: ours });
    overhead.push({ depth, raw: r.cpuPerOp, ours: o.cpuPerOp });
    const label = depth === cores ? `${depth} in flight (= cores)` : `${depth} in flight`;
    add({ name: `Raw RSA-4096 PSS-SHA512 verify (async), ${label}`, result: perSec(r), cpu: cpu(r), bound: '', ratio: null, target: null });
    add({
      name: `Verify real objects (parseObject + verifyObject), ${label}`,
      result: perSec(o),
      cpu: cpu(o),
      bound: `raw verify at ${depth} in flight`,
      ratio: o.perSecond / r.perSecond,
      cpuRatio: r.cpuPerOp / o.cpuPerOp,
      target: TARGET,
    });
  }
}

async function parsing(): Promise<void> {
  const bytes = vectorRaw.reduce((a, b) => a + b.length, 0);
  log(`parse: parseObject over ${vectorRaw.length} vector files (${fmt(bytes / 1024, 1)} KiB), one thread`);
  let i = 0;
  const r = await rateSync(T, () => parseObject(vectorRaw[i++ % vectorRaw.length]!));
  const meanSize = bytes / vectorRaw.length;
  parseCpu = r.cpuPerOp;
  add({
    name: `Parse (parseObject, hash recomputed; ${vectorRaw.length} vector files, mean ${fmt(meanSize / 1024, 1)} KiB), one thread`,
    result: `${perSec(r)} objects, ${fmt((r.perSecond * meanSize) / 1024 ** 2)} MiB/s`,
    cpu: cpu(r),
    bound: '',
    ratio: null,
    target: null,
  });
}

// ---------------------------------------------------------------- (e) inspect over 10,000 objects

const CACHE_DIR = join(tmpdir(), 'hypergolix-bench-ghidcache-10k-v1');
const CACHE_MARKER = join(CACHE_DIR, 'COMPLETE.json');

/** 3 GIDCs + 5,000 updates (GEOC + GOBD v16) in 8 chains by 3 identities: 10,003 real signed files. */
async function ensureCache(): Promise<{ files: number; generated: string | null }> {
  if (existsSync(CACHE_MARKER)) {
    const { files } = JSON.parse(readFileSync(CACHE_MARKER, 'utf8')) as { files: number };
    const present = readdirSync(CACHE_DIR).filter((f) => f.endsWith('.ghid')).length;
    if (present === files) return { files, generated: null };
  }
  rmSync(CACHE_DIR, { recursive: true, force: true });
  mkdirSync(CACHE_DIR, { recursive: true });
  const ids = [v16Identity(0), v16Identity(1), v16Identity(2)];
  for (const id of ids) writeFileSync(join(CACHE_DIR, `${id.ghid.text}.ghid`), id.publicIdentity.raw);
  const chains = 8;
  const updates = CACHE_OBJECTS / 2;
  log(`generating ${CACHE_OBJECTS} signed objects into ${CACHE_DIR} (once; reused by later runs)`);
  let done = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: chains }, async (_, c) => {
      const id = ids[c % ids.length]!;
      let previous: Frame | undefined;
      for (let k = c; k < updates; k += chains) {
        const { container, frame } = await makeUpdate(id, Secret.random(), randomBytes(64 + ((k * 7919) % 1985)), previous);
        previous = frameOf(frame);
        await Promise.all([
          writeFile(join(CACHE_DIR, `${container.ghid.text}.ghid`), container.raw),
          writeFile(join(CACHE_DIR, `${frame.ghid.text}.ghid`), frame.raw),
        ]);
        if (++done % 1000 === 0) log(`  ${done * 2} objects`);
      }
    }),
  );
  const seconds = (performance.now() - start) / 1000;
  const files = CACHE_OBJECTS + ids.length;
  writeFileSync(CACHE_MARKER, JSON.stringify({ files, seconds }));
  return { files, generated: `${fmt(seconds, 1)} s (${fmt(updates / seconds)} updates/s at ${chains} in flight)` };
}

function ensureBuilt(): void {
  const bundle = join(root, 'dist/cli/index.js');
  let newest = 0;
  const walk = (dir: string): void => {
    for (const e of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, e.name);
      if (e.isDirectory()) walk(p);
      else newest = Math.max(newest, statSync(p).mtimeMs);
    }
  };
  ['src/cli', 'src/core'].forEach((d) => walk(join(root, d)));
  if (!existsSync(bundle) || statSync(bundle).mtimeMs < newest) {
    log('building dist/ (the CLI bundle is missing or older than its sources)');
    execFileSync(process.execPath, [join(root, 'scripts/build.mjs')], { cwd: root, stdio: 'inherit' });
  }
}

/** Runs the real binary; resolves to its exit code, stdout line count and last stderr/stdout line. */
function runInspect(args: string[]): Promise<{ code: number; lines: number; tail: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [join(root, 'bin/hypergolix.js'), 'inspect', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let lines = 0;
    let last = '';
    let err = '';
    child.stdout.on('data', (chunk: Buffer) => {
      for (let i = chunk.indexOf(10); i >= 0; i = chunk.indexOf(10, i + 1)) lines++;
      last = (last + chunk.toString('utf8')).slice(-400);
    });
    child.stderr.on('data', (chunk: Buffer) => (err += chunk.toString('utf8')));
    child.on('error', reject);
    child.on('exit', (code) => resolvePromise({ code: code ?? 1, lines, tail: (err || last).trim().split('\n').at(-1) ?? '' }));
  });
}

async function inspectCache(): Promise<void> {
  ensureBuilt();
  const { files, generated } = await ensureCache();
  if (generated) log(`  generated in ${generated}`);
  log(`inspect: node bin/hypergolix.js inspect over ${files} files (1 warm-up run, then median of 3)`);
  for (const mode of [['--quiet'], ['--json']]) {
    const warm = await runInspect([...mode, CACHE_DIR]);
    if (warm.code !== 0 || !warm.tail.includes(`${files} objects`) || !warm.tail.includes(' 0 failures')) {
      throw new Error(`inspect ${mode.join(' ')} failed (exit ${warm.code}): ${warm.tail}`);
    }
    const t = await timeRepeated(3, () => runInspect([...mode, CACHE_DIR]));
    add({
      name: `hypergolix inspect ${mode.join(' ')} over ${fmt(files)} real objects (${fmt(files - 3)} signatures), wall time incl. Node start-up`,
      result: `${fmt(t.seconds, 2)} s ±${t.spread.toFixed(0)} % = ${fmt(files / t.seconds)} objects/s`,
      bound: '',
      ratio: null,
      target: null,
    });
  }
  if (generated) add({ name: `Generating that cache (makeUpdate + writeFile, 8 chains)`, result: generated, bound: '', ratio: null, target: null });
}

// ---------------------------------------------------------------- main

log(machineMarkdown(machine));
const quiet = await waitForQuiet(quick ? 10 : 120);
const quietNote = `CPUs ${(quiet.busy * 100).toFixed(0)} % busy just before the run (waited ${quiet.waited.toFixed(0)} s for other processes to settle).`;
log(quietNote);
log(`timing: ${T.repeats} runs of ${T.seconds} s after ${T.warmupSeconds} s warm-up, median${quick ? ' (--quick)' : ''}`);
await signAndUpdates();
await verifies();
await parsing();
await keygen();
await inspectCache();

const headers: Row = ['Measurement', 'Result', 'CPU/op', 'Bound', 'Ratio', 'CPU-cost ratio', 'Target', 'Status'];
const rows: Row[] = figures.map((f) => [
  f.name,
  f.result,
  f.cpu ?? '—',
  f.bound || '—',
  f.ratio === null ? '—' : percent(f.ratio),
  f.cpuRatio === undefined ? '—' : percent(f.cpuRatio),
  f.target === null ? '—' : `≥ ${percent(f.target)}`,
  f.target === null ? '—' : f.ratio! >= f.target ? 'PASS' : 'FAIL',
]);
log('\n' + textTable(headers, rows));

const markdown = [
  `${machineMarkdown(machine)} ${quietNote}`,
  '',
  `Run with \`npm run bench -- golix\`${quick ? ' (this run: `--quick`)' : ''}. Throughputs are the median of ${T.repeats} runs of ${T.seconds} s after a ${T.warmupSeconds} s warm-up; ` +
    '"±" is half the range of those runs. "In flight" is the number of operations kept running at once (each on the libuv pool). ' +
    'Each ratio compares with raw `node:crypto` measured in alternating runs in the same process: an update cycle signs twice, so its bound is ' +
    'half the raw sign rate with as many signatures in flight (2 per update); verification is compared with raw `crypto.verify` of the same ' +
    `${signedRaw.length} real vector objects (v16 and 2016) with the same keys. Identities come from the vectors manifest (no keygen in the hot path). ` +
    '"CPU/op" is process CPU time (main thread and pool) per operation; "CPU-cost ratio" is the bound\'s CPU per operation over ours, ' +
    'the efficiency the throughput ratio approaches on an otherwise idle machine (it is insensitive to other processes). Targets apply to the throughput ratio.',
  '',
  markdownTable(headers, rows),
  '',
  `Where verification loses against the bound: CPU per object, parse + verifyObject minus raw verify, is ` +
    overhead.map((o) => `${fmt(o.ours - o.raw, 1)} µs at ${o.depth} in flight`).join(' and ') +
    `; parseObject alone (hash recomputed) costs ${fmt(parseCpu, 1)} µs of it.`,
  '',
  `The inspect figures run the built CLI (\`node bin/hypergolix.js inspect\`) over a ghidcache of 3 GIDCs and 5,000 updates (GEOC + GOBD v16 frames, ` +
    `8 chains by the 3 manifest identities, 64 B–2 KiB payloads) generated once into \`${CACHE_DIR}\` and reused; the child inherits ` +
    `UV_THREADPOOL_SIZE=${machine.uvThreadpool}. \`--json\` prints every line (to a pipe); \`--quiet\` only the summary.`,
].join('\n');
writeSection('Golix core (bench/golix)', markdown);
log(`\nwrote the "Golix core (bench/golix)" section of BENCHMARKS.md`);
