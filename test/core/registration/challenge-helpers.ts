// What the registration challenge tests share: the reference identities and their GIDCs as a
// server holds them, challenges for a made-up server name, the registration endpoints alone on
// a listener of their own, a journal in a temporary folder, and signed links.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, get as httpGet, type IncomingMessage, type ServerResponse } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PublicIdentity } from '../../../src/core/golix/index.js';
import { mintChallenge, newChallengeKey, type Challenges } from '../../../src/core/registration/challenges.js';
import { RegistrationEndpoints, type RegistrationDeps } from '../../../src/core/registration/http.js';
import { signChallenge } from '../../../src/core/registration/proof.js';
import { FileRegistry, type AccountRegistry } from '../../../src/core/registration/registry.js';
import { v16Identity, v16Objects } from '../../fixtures/vectors.js';

export type After = { after(fn: () => void | Promise<void>): void };

/** The server's name as a daemon addresses it, in the challenges these tests issue directly. */
export const NAME = 'hgx.example.org:7770';
/** What MAX_CHALLENGES was: the cap past which the book dropped everyone's oldest challenges. */
export const FLOOD = 10_000;

/** A well-formed challenge for NAME under a key nobody holds (for the proof alone), good for centuries. */
export function aChallenge(server = NAME): string {
  return mintChallenge(newChallengeKey(), server, Date.now() + 1e12);
}

export const alice = v16Identity(0);
export const bob = v16Identity(1);
export const carol = v16Identity(2);

/** The reference identities' GIDCs by fingerprint, as a server holds them. */
export const GIDCS = new Map(
  v16Objects()
    .filter((o) => o.obj.type === 'GIDC')
    .map((o) => [PublicIdentity.fromBytes(o.raw).ghid.text, o.raw] as const),
);
export function gidcOf(fp: string): Buffer {
  const raw = GIDCS.get(fp);
  assert.ok(raw, `no reference GIDC for ${fp}`);
  return raw;
}

/** A plain HTTP listener on a free port; closed after the test. */
export async function listen(t: After, handler: (req: IncomingMessage, res: ServerResponse) => void): Promise<{ base: string; host: string; port: number }> {
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

/** A GET with the headers given as they are (fetch would not send another Host). */
export function getWith(base: string, path: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = httpGet(new URL(path, base), { headers }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    });
    req.on('error', reject);
  });
}

/** Registration endpoints alone on their own listener (what the server mounts on its HTTP port). */
export async function serveEndpoints(t: After, deps: RegistrationDeps): Promise<{ base: string; endpoints: RegistrationEndpoints }> {
  const endpoints = new RegistrationEndpoints(() => deps);
  const { base } = await listen(t, (req, res) => {
    if (!endpoints.handle(req, res)) {
      res.writeHead(404);
      res.end();
    }
  });
  return { base, endpoints };
}

export async function fileRegistry(t: After, now: () => number = Date.now): Promise<FileRegistry> {
  const dir = mkdtempSync(join(tmpdir(), 'hgx-challenges-'));
  const registry = await FileRegistry.open(join(dir, 'ghidcache.accounts'), now);
  t.after(async () => {
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  });
  return registry;
}

export function deps(accounts: AccountRegistry, challenges: Challenges, policy: RegistrationDeps['policy'] = 'open', identityOf?: RegistrationDeps['identityOf']): RegistrationDeps {
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
export async function linkQuery(who = alice, challenge: string): Promise<URLSearchParams> {
  return new URLSearchParams({ fingerprint: who.ghid.text, challenge, signature: await signChallenge(who, challenge) });
}

/** `registry` as the endpoints see it, with some of its calls replaced (to stall, fail or move a clock). */
export function wrapAccounts(registry: FileRegistry, over: Partial<AccountRegistry>): AccountRegistry {
  return {
    get: (fp) => registry.get(fp),
    list: () => registry.list(),
    counts: () => registry.counts(),
    register: (fp, via) => registry.register(fp, via),
    request: (fp) => registry.request(fp),
    revoke: (fp) => registry.revoke(fp),
    createInvite: (uses, expires) => registry.createInvite(uses, expires),
    useInvite: (c, fp) => registry.useInvite(c, fp),
    refresh: () => registry.refresh(),
    close: () => registry.close(),
    ...over,
  };
}
