// bench/daemon: account creation and login, cold start with 10,000 objects cached, object
// updates per second — as users run them (an app through the hgx SDK, a real daemon process
// with a real server process as its remote) and, for context, through the daemon's API with no
// remote — and memory, next to the raw RSA-4096 sign rate measured in the same run (each update
// signs twice: a GEOC and a GOBD frame).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile, readFile } from 'node:fs/promises';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { Daemon } from '../src/core/daemon/daemon.js';
import { DEFAULT_KDF, deriveRootSecret } from '../src/core/account/kdf.js';
import { Ghid, PrivateIdentity } from '../src/core/golix/index.js';
import { PreparedIdentity } from '../src/core/account/prepared-identity.js';
import { API_ID_JSON } from '../src/core/objects/hgxd.js';
import { silentLogger } from '../src/core/remote/logger.js';
import { machineInfo, machineMarkdown, waitForQuiet } from './lib/machine.js';
import { fmt, markdownTable, percent, textTable, writeSection } from './lib/report.js';
import { median } from './lib/stats.js';
import { ratePaired, type RateResult } from './lib/timing.js';
import { startCryptoBound } from './lib/crypto-bound.js';
import { freePort } from '../test/fixtures/free-port.js';
import { inTerminal } from '../test/fixtures/process/terminal.js';
import { appHome, cleanupProcesses, runBuiltCli, startAppDetached, startServer } from '../test/fixtures/ipc/spawn.js';
import { HGXLink, JsonObj } from '../packages/hgx/src/index.js';

const quick = process.argv.includes('--quick');
const cores = availableParallelism();
const PASSWORD = 'bench password';
const CACHE_10K = join(tmpdir(), 'hypergolix-bench-daemon-10k-v1');
const mib = (bytes: number) => bytes / 1024 / 1024;

async function start(ghidcache: string, account: Parameters<typeof Daemon.start>[0]['account']) {
  return Daemon.start({ ghidcache, remotes: [], account, logger: silentLogger });
}

async function timed<T>(fn: () => Promise<T>): Promise<[T, number]> {
  const t0 = performance.now();
  const v = await fn();
  return [v, (performance.now() - t0) / 1000];
}

await waitForQuiet(quick ? 5 : 60);
const rows: string[][] = [];
const md: string[][] = [];
const add = (what: string, value: string, target: string, pass: boolean | null) => {
  rows.push([what, value, target, pass === null ? '' : pass ? 'PASS' : 'FAIL']);
  md.push([what, value, target, pass === null ? '—' : pass ? '**PASS**' : '**FAIL**']);
};

// 1. Account creation (keygen 2×RSA-4096 + X25519 in parallel, scrypt 2^17, account objects) and login.
const creations: number[] = [];
const logins: number[] = [];
for (let i = 0; i < (quick ? 1 : 6); i++) {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-bench-daemon-'));
  const [d, created] = await timed(() => start(join(dir, 'ghidcache'), { create: { password: PASSWORD, kdf: DEFAULT_KDF } }));
  creations.push(created);
  const userId = d.userId;
  await d.stop();
  const [d2, login] = await timed(() => start(join(dir, 'ghidcache'), { login: { userId, password: PASSWORD, kdf: DEFAULT_KDF } }));
  logins.push(login);
  await d2.stop();
  await rm(dir, { recursive: true, force: true });
}
add(
  `Account creation (keys, scrypt N=2^17, account objects), median of ${creations.length}`,
  `${fmt(median(creations), 2)} s (${creations.map((c) => fmt(c, 2)).join(', ')})`,
  '< 1.5 s',
  median(creations) < 1.5,
);
add('Login (scrypt N=2^17, open the account)', `${fmt(median(logins), 2)} s`, '—', null);

// 1b. Account creation as the first-run wizard runs it: the keys start when the wizard shows
// (PreparedIdentity), and "Create" is pressed WIZARD_S later — a 10-character password and its
// confirmation typed at 5 characters a second. Timed from "Create" to the account open; runs
// whose keys were not ready by then wait for them, and are counted.
const WIZARD_S = 4;
const wizard: number[] = [];
let waitedForKeys = 0;
for (let i = 0; i < (quick ? 1 : 6); i++) {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-bench-daemon-'));
  let keysReady = false;
  const keys = new PreparedIdentity({ generate: (p) => PrivateIdentity.generate(p).then((id) => ((keysReady = true), id)) });
  keys.prepare();
  await new Promise((r) => setTimeout(r, WIZARD_S * 1000));
  if (!keysReady) waitedForKeys++;
  const [d, created] = await timed(async () => start(join(dir, 'ghidcache'), { create: { password: PASSWORD, kdf: DEFAULT_KDF, identity: await keys.take() } }));
  wizard.push(created);
  await d.stop();
  await rm(dir, { recursive: true, force: true });
}
add(
  `Account creation from the wizard: keys made while it shows, "Create" ${WIZARD_S} s later; median of ${wizard.length}`,
  `${fmt(median(wizard), 2)} s (${wizard.map((c) => fmt(c, 2)).join(', ')}); ${waitedForKeys} of ${wizard.length} waited for keys`,
  '< 1.5 s',
  median(wizard) < 1.5,
);


// 1c. The same in a terminal, as the CLI's first `hypergolix start app` runs it (the built
// command, in a pty): the keys start when the password prompt shows, the password is typed at
// WIZARD_S / 2 and its confirmation at WIZARD_S. Timed from the second Enter to "app daemon
// started" (the detached daemon has opened the new account); runs where the CLI said it was
// still generating the keys are counted.
const CLI_PASSWORD = 'velvet-harbor-quince-58';
const cliRuns: number[] = [];
let cliWaited = 0;
const cliBin = join(import.meta.dirname, '../bin/hypergolix.js');
for (let i = 0; i < (quick ? 1 : 6); i++) {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-bench-daemon-cli-'));
  const env = { ...process.env, HYPERGOLIX_HOME: dir };
  const configured = spawnSync(process.execPath, [cliBin, 'config', '--ipc-port', String(await freePort())], { env, encoding: 'utf8' });
  if (configured.status !== 0) throw new Error(`hypergolix config failed: ${configured.stderr}`);
  const run = inTerminal([process.execPath, cliBin, 'start', 'app'], env);
  await run.waitFor(/New password: /);
  await new Promise((r) => setTimeout(r, (WIZARD_S * 1000) / 2));
  await run.answer('New password: ', CLI_PASSWORD);
  await new Promise((r) => setTimeout(r, (WIZARD_S * 1000) / 2));
  await run.answer('Same password again: ', CLI_PASSWORD);
  const typed = performance.now();
  const started = await run.waitFor(/app daemon started/, 60_000);
  cliRuns.push((started - typed) / 1000);
  if (/Generating your keys…/.test(run.output())) cliWaited++;
  if ((await run.exited) !== 0) throw new Error(`hypergolix start app failed:\n${run.output()}`);
  spawnSync(process.execPath, [cliBin, 'stop', 'app'], { env });
  await rm(dir, { recursive: true, force: true });
}
add(
  `Account creation, the CLI's first \`start app\` in a terminal: keys made while the password is typed, confirmed ${WIZARD_S} s after the prompt; median of ${cliRuns.length}`,
  `${fmt(median(cliRuns), 2)} s (${cliRuns.map((c) => fmt(c, 2)).join(', ')}); ${cliWaited} of ${cliRuns.length} waited for keys`,
  '< 1.5 s',
  median(cliRuns) < 1.5,
);


// 2. The bound: raw RSA-4096 PSS-SHA512 signatures per second with `cores` in flight, made in a
// child whose pool is pinned one thread per CPU (bench/lib/crypto-bound.ts): the machine's best.
const seconds = quick ? 1 : 3;
const repeats = quick ? 1 : 3;
const timing = { seconds, repeats, warmupSeconds: 0.5 };
/**
 * An update rate and its bound, measured in alternating runs (ratePaired): this VM's speed
 * drifts by tens of percent within minutes, so a bound measured once, before the rows, made
 * their ratios follow the host (one run put 8 objects in flight at 130 % of it).
 */
interface Bounded {
  rate: RateResult;
  /** The raw sign rate with `cores` signatures in flight, measured between this row's runs: the bound is half of it. */
  raw: number;
}
const cryptoBound = await startCryptoBound();
const bounded = async (inFlight: number, op: (worker: number) => Promise<unknown>): Promise<Bounded> => {
  const [raw, measured] = await ratePaired(timing, { run: (s) => cryptoBound.signRun(s, cores) }, { inFlight, op });
  return { rate: measured, raw: raw.perSecond };
};
const ofBound = (b: Bounded) => `${fmt(b.rate.perSecond)} /s (${percent((2 * b.rate.perSecond) / b.raw)} of ${fmt(b.raw / 2)} /s)`;
const atLeast80 = (b: Bounded) => (2 * b.rate.perSecond) / b.raw >= 0.8;

// 3. Updates per second as users make them: an app through the hgx SDK to a real daemon process
// (`hypergolix start app`, detached as users start it), whose remote is a real server process on this machine,
// both the built command users run (its RSS is theirs, not a TypeScript loader's).
const builtBin = join(import.meta.dirname, '../bin/hypergolix.js');
if (!existsSync(join(import.meta.dirname, '../dist/cli/index.js'))) throw new Error('bench/daemon runs the built CLI: npm run build first');
runBuiltCli(builtBin);
const server = await startServer();
const home = await appHome('bench-daemon', server.port);
const app = await startAppDetached(home);
const link = await HGXLink.connect({ port: home.ipcPort, tokenFile: home.tokenFile });
const sdkObjects = await Promise.all(Array.from({ length: 8 }, (_, i) => link.new(JsonObj, { i, n: 0 })));
let pushes = 0;
const push = async (w: number) => {
  const o = sdkObjects[w]!;
  o.state = { i: w, n: ++pushes, note: 'x'.repeat(200) };
  await o.push();
};
const sdkOne = await bounded(1, () => push(0));
const sdkEight = await bounded(8, push);
const rssOf = async (pid: number) => Number(/VmRSS:\s+(\d+)/.exec(await readFile(`/proc/${pid}/status`, 'utf8'))?.[1] ?? NaN) * 1024;
const [appRss, serverRss] = [await rssOf(app.pid), await rssOf(server.child.pid!)];
await link.close();
await app.stop();
await server.stop();
await cleanupProcesses();

// 3b. For context: updates through the daemon's object API in this process, no remote.
const dir = await mkdtemp(join(tmpdir(), 'hgx-bench-daemon-'));
const d = await start(join(dir, 'ghidcache'), { create: { password: PASSWORD, kdf: { ...DEFAULT_KDF, n: 1024 } } });
const objects = await Promise.all(Array.from({ length: 8 }, () => d.objects.create(API_ID_JSON, Buffer.from('{"n":0}'))));
let n = 0;
const one = await bounded(1, () => d.objects.update(objects[0]!.ghid, Buffer.from(`{"n":${++n}}`)));
const eight = await bounded(8, (w) => d.objects.update(objects[w]!.ghid, Buffer.from(`{"n":${++n}}`)));
const raws = [sdkOne, sdkEight, one, eight].map((b) => fmt(b.raw));
add(`Raw RSA-4096 signatures/s (${cores} in flight), measured between the runs of each row below: the bound is half of it`, `${raws.join(', ')} /s`, '—', null);
add('Updates/s of one object from an app through the SDK, remote configured (real daemon and server processes)', ofBound(sdkOne), '≥ 80 % of the bound', atLeast80(sdkOne));
add('Updates/s from an app through the SDK, 8 objects in flight, remote configured', ofBound(sdkEight), '≥ 80 % of the bound', atLeast80(sdkEight));
add('RSS of the daemon process after those runs', `${fmt(mib(appRss), 0)} MiB`, '≤ 60 MiB', mib(appRss) <= 60);
add('RSS of its remote (the server process) after those runs', `${fmt(mib(serverRss), 0)} MiB`, '—', null);
add('Context, no remote: updates/s through the daemon\'s API in this process, 1 object in flight', ofBound(one), '≥ 80 % of the bound', atLeast80(one));
add('Context, no remote: updates/s through the daemon\'s API, 8 objects in flight', ofBound(eight), '≥ 80 % of the bound', atLeast80(eight));
const boundSpread = cryptoBound.spread;
await cryptoBound.close();
await d.stop();
await rm(dir, { recursive: true, force: true });

// 4. Cold start with 10,000 objects cached (generated once, then reused).
if (!existsSync(join(CACHE_10K, 'user-id'))) {
  console.log('bench/daemon: generating a ghidcache of 10,000 objects (once; reused by later runs)…');
  await rm(CACHE_10K, { recursive: true, force: true });
  const g = await start(join(CACHE_10K, 'ghidcache'), { create: { password: PASSWORD, kdf: DEFAULT_KDF } });
  let made = 0;
  await Promise.all(
    Array.from({ length: 8 }, async () => {
      while (made < 10_000) {
        made++;
        await g.objects.create(API_ID_JSON, Buffer.from(`{"i":${made}}`), { dynamic: made % 2 === 0 });
      }
    }),
  );
  await g.account.flush();
  await writeFile(join(CACHE_10K, 'user-id'), `${g.userId.text}\n${g.fingerprint.text}\n`);
  await g.stop();
}
const [userIdText, fingerprintText] = (await readFile(join(CACHE_10K, 'user-id'), 'utf8')).trim().split('\n') as [string, string];
const userId = Ghid.fromText(userIdText);
// scrypt alone, just before: memory-bound, it is most of a cold start, and varies with the host.
const [, scryptSeconds] = await timed(() => deriveRootSecret(PASSWORD, Ghid.fromText(fingerprintText), DEFAULT_KDF));
const [cold, coldSeconds] = await timed(() => start(join(CACHE_10K, 'ghidcache'), { login: { userId, password: PASSWORD, kdf: DEFAULT_KDF } }));
const stored = cold.engine.stats().objects;
await cold.stop();
add(`Cold start to ready, ${fmt(stored)} objects cached (10,000 app objects; includes scrypt)`, `${fmt(coldSeconds, 2)} s`, '< 1 s', coldSeconds < 1);

// 5. Memory of the real daemon process (`hypergolix start app --foreground`), once ready.
async function daemonRss(home: string): Promise<number | null> {
  const bin = join(import.meta.dirname, '../bin/hypergolix.js');
  if (!existsSync(join(import.meta.dirname, '../dist/cli/index.js'))) return null;
  const child = spawn(process.execPath, [bin, 'start', 'app', '--foreground', '--password-stdin', '--allow-weak-password'], {
    env: { ...process.env, HYPERGOLIX_HOME: home },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin.end(PASSWORD + '\n');
  await new Promise<void>((resolve, reject) => {
    let out = '';
    const watch = (d: Buffer) => {
      out += d.toString();
      if (out.includes('boot complete')) resolve();
    };
    child.stdout.on('data', watch);
    child.stderr.on('data', watch);
    child.once('exit', (code) => reject(new Error(`daemon exited (${code}) before it was ready:\n${out}`)));
  });
  await new Promise((r) => setTimeout(r, 1000));
  const status = await readFile(`/proc/${child.pid}/status`, 'utf8').catch(() => '');
  const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));
  return Number.isFinite(kb) ? kb * 1024 : null;
}
const fresh = await mkdtemp(join(tmpdir(), 'hgx-bench-rss-'));
await writeFile(join(fresh, 'hypergolix.yml'), `process:\n  ipc_port: ${await freePort()}\n`);
const idleRss = await daemonRss(fresh);
const big = await mkdtemp(join(tmpdir(), 'hgx-bench-rss-'));
await writeFile(
  join(big, 'hypergolix.yml'),
  `process:\n  ghidcache: ${join(CACHE_10K, 'ghidcache')}\n  ipc_port: ${await freePort()}\nuser:\n  fingerprint: ${fingerprintText}\n  user_id: ${userIdText}\naccount:\n  kdf: {algorithm: scrypt, n: ${DEFAULT_KDF.n}, r: 8, p: 1}\n`,
);
const bigRss = await daemonRss(big);
await rm(fresh, { recursive: true, force: true });
await rm(big, { recursive: true, force: true });
if (idleRss === null || bigRss === null) {
  add('RSS of the daemon process', 'not measured: build first (npm run build)', '< 120 MiB', null);
} else {
  add('RSS of the daemon process, new account, idle', `${fmt(mib(idleRss), 0)} MiB`, '< 120 MiB', mib(idleRss) < 120);
  add(`RSS of the daemon process, ${fmt(stored)} objects stored`, `${fmt(mib(bigRss), 0)} MiB`, '< 120 MiB', mib(bigRss) < 120);
}

const m = machineInfo();
console.log(textTable(['measurement', 'value', 'target', ''], rows));
writeSection(
  'App daemon (bench/daemon)',
  `${machineMarkdown(m)}

${markdownTable(['Measurement', 'Value', 'Target', ''], md)}

The bound for updates is half the raw RSA-4096 sign rate with one signature in flight per core
(every update signs a container and a frame), measured for each row in runs alternating with the
row's own, so that both see the same host, in a child process whose thread pool is one thread per
CPU, each pinned to its own (\`bench/lib/crypto-bound.ts\`; here: ${boundSpread}): two signatures
in flight in this process's own pool often share one CPU on a kernel that packs woken threads,
which would lower the bound and flatter the rows. The reference
manages about 12 updates/s on this machine and takes 4–5 s to create an account. The SDK rows
are what users see: the daemon as \`hypergolix start app\` runs it (detached, with the heap
settings of src/core/assembly/heap.ts; its account made at its first start) with a real \`hypergolix start server --foreground\` process as its remote, both
the built command (\`bin/hypergolix.js\`), and this process as the app, pushing a JSON state of ~230 bytes; an update
counts once the daemon has acknowledged it (stored and queued for the server, which receives it
meanwhile). The context rows call the daemon's API in this process with no remote. An update is
acknowledged once its frame and container are in the store's journal (one durable write); with one
object in flight its two signatures run in parallel on the two cores, so that write and the
disk work it causes come on top of every update, and this row moves with the machine's load.
It was 69 % of the bound while every sixth update waited for a signed write of the account's
secrets map; the account journal, one durable write per commit (O_DSYNC) into a pre-extended
journal, and one commit per update instead of two brought it to 88 %. The account's secrets map is written (two more signatures)
once a second; in between, changes are kept durable by the account journal. The cold start
includes scrypt at N = 2^17 (${fmt(scryptSeconds, 2)} s alone just before it in this run; 0.25 s on
quieter days of this host) and opens the store through its index.`,
);
