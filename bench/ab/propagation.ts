// Interleaved A/B of push() → the other user's 'update' event, real processes, two or more builds.
//
//   npx tsx bench/ab/propagation.ts --trees /tmp/hgx-old,. [--blocks 20] [--per 40]
//
// Each tree is a checkout with `npm run build` done (its bin/hypergolix.js and dist/). For each,
// this starts its server and two app daemons (accounts made on their first start, A shares one
// object with B); then blocks of `--per` updates, one at a time, alternate between the trees, the
// order swapped every block. Every build so sees the same host over the same minutes: on a VM
// whose speed drifts by tens of percent within an hour, two runs one after the other compare the
// host as much as the code. Prints each block's medians and each tree's p50/p90/p99.
import { existsSync, readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { ApiId, HGXLink, JsonObj } from '../../packages/hgx/src/index.js';
import { appHome, cleanupProcesses, runBuiltCli, startApp, startServer } from '../../test/fixtures/ipc/spawn.js';
import { median, percentile } from '../lib/stats.js';

interface Options {
  trees: string[];
  blocks: number;
  per: number;
}

function parseArgs(argv: string[]): Options {
  const o: Options = { trees: [], blocks: 20, per: 40 };
  for (let i = 0; i < argv.length; i++) {
    const [flag, value] = [argv[i], argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    if (flag === '--trees') o.trees = value.split(',').map((t) => resolve(t));
    else if (flag === '--blocks' || flag === '--per') {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1 || n > 1000) throw new Error(`${flag} takes a whole number from 1 to 1000, not ${value}`);
      o[flag === '--blocks' ? 'blocks' : 'per'] = n;
    } else throw new Error(`unknown option ${flag} (--trees A,B [--blocks N] [--per N])`);
    i++;
  }
  if (o.trees.length < 2) throw new Error('--trees takes two or more checkouts, separated by commas');
  for (const t of o.trees) {
    if (!existsSync(`${t}/bin/hypergolix.js`) || !existsSync(`${t}/dist/cli/index.js`)) throw new Error(`${t} is not a built checkout (run npm run build there)`);
  }
  return o;
}

interface Pair {
  tree: string;
  /** One update; resolves with [push → B's event, push answered] in ms. */
  update(n: number): Promise<[number, number]>;
  close(): Promise<void>;
}

async function startPair(tree: string): Promise<Pair> {
  runBuiltCli(`${tree}/bin/hypergolix.js`);
  const server = await startServer();
  const [ha, hb] = await Promise.all([appHome('ab-a', server.port), appHome('ab-b', server.port)]);
  const [pa, pb] = await Promise.all([startApp(ha), startApp(hb)]);
  const la = await HGXLink.connect({ port: ha.ipcPort, tokenFile: ha.tokenFile });
  const lb = await HGXLink.connect({ port: hb.ipcPort, tokenFile: hb.tokenFile });
  let shared = (): void => {};
  await lb.registerShareHandler(ApiId.JSON, () => shared());
  const obj = await la.new(JsonObj, { n: -1 });
  const arrived = new Promise<void>((r) => (shared = r));
  await obj.share(lb.whoami);
  await arrived;
  const atB = await lb.get(JsonObj, obj.ghid);
  let expect = -1;
  let seenAt = 0;
  let seen = (): void => {};
  atB.on('update', (o) => {
    if ((o.state as { n?: number }).n !== expect) return;
    seenAt = performance.now();
    seen();
  });
  return {
    tree,
    async update(n) {
      expect = n;
      const event = new Promise<void>((r) => (seen = r));
      obj.state = { n, pad: 'x'.repeat(200) };
      const t0 = performance.now();
      await obj.push();
      const answered = performance.now() - t0;
      await event;
      return [seenAt - t0, answered];
    },
    async close() {
      await Promise.all([la.close(), lb.close()]);
      await Promise.all([pa.stop(), pb.stop()]);
      await server.stop();
    },
  };
}

const ms = (v: number) => v.toFixed(2);

async function main(): Promise<void> {
  const o = parseArgs(process.argv.slice(2));
  const pairs: Pair[] = [];
  try {
    for (const t of o.trees) pairs.push(await startPair(t));
    const latency = pairs.map(() => [] as number[]);
    const answered = pairs.map(() => [] as number[]);
    let n = 0;
    for (const p of pairs) for (let i = 0; i < 20; i++) await p.update(n++); // warm-up
    console.log(`trees: ${pairs.map((p, i) => `${i} = ${p.tree}`).join(', ')}`);
    for (let b = 0; b < o.blocks; b++) {
      const order = pairs.map((_, i) => i);
      if (b % 2 === 1) order.reverse();
      const medians: string[] = [];
      for (const i of order) {
        const block: number[] = [];
        for (let k = 0; k < o.per; k++) {
          const [l, a] = await pairs[i]!.update(n++);
          block.push(l);
          latency[i]!.push(l);
          answered[i]!.push(a);
        }
        medians[i] = ms(median(block));
      }
      console.log(`block ${b + 1}/${o.blocks} (load ${readFileSync('/proc/loadavg', 'utf8').split(' ')[0]}): p50 ${medians.join(' | ')} ms`);
    }
    pairs.forEach((p, i) => {
      const l = latency[i]!;
      console.log(`${p.tree}: push → update p50 ${ms(median(l))}, p90 ${ms(percentile(l, 90))}, p99 ${ms(percentile(l, 99))} ms; push answered p50 ${ms(median(answered[i]!))} ms (${l.length} updates)`);
    });
  } finally {
    for (const p of pairs) await p.close().catch(() => {});
    await cleanupProcesses();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(`bench/ab/propagation: ${(err as Error).message}`);
    process.exit(1);
  },
);
