// Throwaway homes and controllers for the host tests: a real config module, a real daemon
// (cheap KDF), an in-memory vault, and the events a UI would see.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after } from 'node:test';
import type { HostEvent, Request, RequestKind, Response, ResponseValue } from '../../src/common/contract.js';
import { REFERENCE_KDF } from '../../src/core/account/kdf.js';
import { PreparedIdentity } from '../../src/core/account/prepared-identity.js';
import { createMemoryLogger } from '../../src/core/log/index.js';
import { Controller, type ControllerOptions } from '../../src/host/controller.js';
import type { SecretVault } from '../../src/host/vault.js';
import { until } from '../fixtures/wait.js';
import { copyHomeInto } from '../fixtures/copy-home.js';

export const KDF = { ...REFERENCE_KDF, n: 1024 };
export const PASSWORD = 'purple-lantern-okra-92';

const dirs: string[] = [];
const controllers: Controller[] = [];
after(async () => {
  for (const c of controllers) await c.stop().catch(() => {});
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

export function tempHome(label = 'hgx-host-'): string {
  const d = mkdtempSync(join(tmpdir(), label));
  dirs.push(d);
  return d;
}

/** A copy of a home (config, ghidcache, outboxes) under a new directory, its paths rewritten. */
export function copyHome(from: string): string {
  return copyHomeInto(from, tempHome());
}

export class MemoryVault implements SecretVault {
  secret: Buffer | null = null;
  saves = 0;
  constructor(private readonly works = true) {}
  available(): boolean {
    return this.works;
  }
  async save(secret: Buffer): Promise<void> {
    this.saves++;
    this.secret = Buffer.from(secret);
  }
  async load(): Promise<Buffer | null> {
    return this.secret;
  }
  async clear(): Promise<void> {
    this.secret = null;
  }
}

export interface Harness {
  controller: Controller;
  home: string;
  yml: string;
  events: HostEvent[];
  logger: ReturnType<typeof createMemoryLogger>;
  /** Sends a request the way a transport would; throws on a failure unless `expectFail`. */
  ask<K extends RequestKind>(req: Request<K>): Promise<ResponseValue<K>>;
  askRaw<K extends RequestKind>(req: Request<K>): Promise<Response<K>>;
  states(): string[];
}

export async function harness(home: string, opts: Partial<ControllerOptions> = {}): Promise<Harness> {
  const logger = createMemoryLogger({ name: 'host', verbosity: 'debug' });
  const controller = new Controller({
    configOptions: { env: { HYPERGOLIX_HOME: home }, cwd: home, homedir: home },
    logger,
    kdf: KDF,
    startServer: null,
    watchDebounceMs: 50,
    statusIntervalMs: 0,
    ipc: false,
    // Keys only when an account is made: most harnesses never make one.
    keys: new PreparedIdentity({ ahead: false }),
    ...opts,
  });
  controllers.push(controller);
  const events: HostEvent[] = [];
  controller.subscribe((ev) => events.push(ev));
  await controller.start();
  const askRaw = <K extends RequestKind>(req: Request<K>) => controller.request(req);
  return {
    controller,
    home,
    yml: join(home, 'hypergolix.yml'),
    events,
    logger,
    askRaw,
    async ask<K extends RequestKind>(req: Request<K>): Promise<ResponseValue<K>> {
      const res = await askRaw(req);
      if (!res.ok) throw new Error(`${req.kind} failed: ${res.error.code}: ${res.error.message}`);
      return res.value;
    },
    states: () => events.flatMap((e) => (e.kind === 'status' ? [e.status.state] : [])).filter((s, i, all) => i === 0 || all[i - 1] !== s),
  };
}

/** Whether something accepts TCP connections on 127.0.0.1:`port`. */
export function accepts(port: number): Promise<boolean> {
  return new Promise((ok) => {
    const socket = connect({ host: '127.0.0.1', port }, () => (socket.destroy(), ok(true)));
    socket.on('error', () => ok(false));
  });
}

export { until };
