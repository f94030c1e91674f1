// A hostile remote, seeded so that a failure replays: after the daemon's network layer subscribes,
// the remote pushes damaged frames and GARQs (`!!`) and answers every GT with a damaged object or
// a genuine one at random. Each push must be answered; nothing damaged may end up stored (every
// object stored is a genuine one, byte for byte); and afterwards the daemon still publishes.
// HGX_FUZZ_REQUESTS and HGX_FUZZ_SEED run other campaigns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { WebSocketServer } from 'ws';
import { NetworkIO } from '../../../src/core/daemon/network-io.js';
import { ConnectionClosed, DoesNotExist, Ghid, HypergolixError, parseObject } from '../../../src/core/golix/index.js';
import { ONE } from '../../../src/core/remote/bodies.js';
import { Connection } from '../../../src/core/remote/connection.js';
import { silentLogger } from '../../../src/core/remote/logger.js';
import { RulesEngine } from '../../../src/core/rules/rules-engine.js';
import { MemoryStore } from '../../../src/core/store/memory-store.js';
import { mutate, pick, rng } from '../../fixtures/mutate.js';
import { vectors } from '../../fixtures/remote/setup.js';
import { until } from '../../fixtures/wait.js';

const PUSHES = Number(process.env.HGX_FUZZ_REQUESTS ?? 300);
const SEED = Number(process.env.HGX_FUZZ_SEED ?? 0xbad5e7);

test(`${PUSHES} damaged pushes and answers from a hostile remote: each push answered, nothing damaged stored, publishing still works`, async (t) => {
  const v = vectors();
  const genuine = new Map(v.all.map((o) => [o.obj.ghid.text, o.raw]));
  const rand = rng(SEED);
  const damaged = (raw: Buffer): Buffer => {
    let out = mutate(raw, rand);
    while (out.equals(raw)) out = mutate(raw, rand);
    return out;
  };
  const sentDamaged = new Set<string>();
  const note = (raw: Buffer) => {
    try {
      const g = parseObject(raw).ghid.text;
      if (!genuine.has(g) || !genuine.get(g)!.equals(raw)) sentDamaged.add(g);
    } catch {
      // Not even parseable: it has no GHID to be stored under.
    }
  };
  const answers = { ak: 0, nk: 0 };
  let subscribed: ((conn: Connection) => void) | null = null;
  const published: string[] = [];
  const wss = new WebSocketServer({ host: '127.0.0.1', port: 0, perMessageDeflate: false });
  await once(wss, 'listening');
  wss.on('connection', (ws) => {
    const conn: Connection = new Connection(ws, {
      handlers: {
        PB: (body) => (published.push(parseObject(body).ghid.text), ONE),
        '+S': () => (setImmediate(() => subscribed?.(conn)), ONE),
        GT: (body) => {
          const raw = genuine.get(Ghid.fromBytes(body).text);
          if (!raw) throw new DoesNotExist('Nothing here');
          if (rand() < 0.5) return raw;
          const out = damaged(raw);
          note(out);
          return out;
        },
      },
    });
  });
  const dir = await mkdtemp(join(tmpdir(), 'hgx-hostile-'));
  const { engine } = await RulesEngine.open(new MemoryStore());
  const io = await NetworkIO.open({
    engine,
    identity: () => null,
    remotes: [{ host: '127.0.0.1', port: (wss.address() as AddressInfo).port, tls: false }],
    outboxDir: join(dir, 'outbox'),
    logger: silentLogger,
    client: { heartbeatMs: 0 },
  });
  t.after(async () => {
    await io.close();
    await new Promise<void>((r) => wss.close(() => r()));
    await rm(dir, { recursive: true, force: true });
  });
  io.start();
  await io.whenConnected(2000);

  const campaign = new Promise<void>((resolve) => {
    subscribed = (conn) => {
      subscribed = null;
      void (async () => {
        for (let i = 0; i < PUSHES; i++) {
          const useFrame = rand() < 0.7;
          const source = useFrame ? v.frames[pick(rand, v.frames.length)]! : v.garqs[pick(rand, v.garqs.length)]!;
          const raw = rand() < 0.15 ? source.raw : damaged(source.raw);
          note(raw);
          const subject = useFrame ? v.dynamic : v.recipient;
          await conn.request('!!', Buffer.concat([subject.bytes, raw])).then(
            () => answers.ak++,
            (err: Error) => {
              // An NK comes back as the error class of its code; a timeout or a closed link would not.
              assert.ok(err instanceof HypergolixError && !(err instanceof ConnectionClosed), `push ${i}: ${err.name}: ${err.message}`);
              answers.nk++;
            },
          );
        }
        resolve();
      })();
    };
  });
  io.subscribe(v.dynamic);
  await campaign;
  t.diagnostic(`seed ${SEED}: ${JSON.stringify(answers)}, ${sentDamaged.size} damaged objects sent`);
  assert.equal(answers.ak + answers.nk, PUSHES, 'every push was answered');

  // Nothing damaged is stored: every GHID a damaged object carried is absent, or holds the genuine bytes.
  for (const g of sentDamaged) {
    if (!engine.exists(Ghid.fromText(g))) continue;
    const stored = await engine.get(Ghid.fromText(g));
    const isGarqVariant = parseObject(stored).type === 'GARQ';
    assert.ok(isGarqVariant || genuine.get(g)?.equals(stored), `a damaged object was stored under ${g}`);
  }
  // And the daemon still publishes.
  const gidc = v.gidcs[0]!.obj;
  await io.publish(gidc);
  await until(() => published.includes(gidc.ghid.text), 'the publish after the campaign', 5000);
});
