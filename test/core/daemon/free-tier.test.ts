// A daemon whose uploads a server refuses beyond its free tier (NK 0011): the objects stay in the
// outbox, the daemon says "register on SERVER to upload more (X of Y used)", and once the account
// is registered there the outbox drains. Real server (registration open), real daemon.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { randomBytes } from 'node:crypto';
import { REFERENCE_KDF } from '../../../src/core/account/kdf.js';
import { startServer } from '../../../src/core/assembly/server.js';
import { Daemon, type DaemonOptions } from '../../../src/core/daemon/daemon.js';
import type { FreeTierUsage } from '../../../src/core/daemon/remote-status.js';
import { API_ID_JSON } from '../../../src/core/objects/hgxd.js';
import { silentLogger } from '../../../src/core/remote/logger.js';
import { serverHome, tempDir } from '../../fixtures/server/helpers.js';
import { v16Identity } from '../../fixtures/vectors.js';
import { until } from '../../fixtures/wait.js';
import type { RulesEngine } from '../../../src/core/rules/rules-engine.js';

const FREE = 256 * 1024;

/** A server with registration open and a free tier of FREE, and a new account's daemon with it as its remote. */
async function serverAndDaemon(t: { after(fn: () => unknown): void }, options: Partial<DaemonOptions> = {}) {
  const home = await serverHome({ registration: 'open', unregistered_upload_bytes: FREE });
  const running = await startServer({ ...home.config, server: { ...home.config.server, port: 0 } });
  t.after(() => running.close());
  const d = await Daemon.start({
    ghidcache: join(tempDir(), 'ghidcache'),
    remotes: [{ host: '127.0.0.1', port: running.address.port, tls: false }],
    account: { create: { password: 'pw', kdf: { ...REFERENCE_KDF, n: 1024 }, identity: v16Identity(2) } },
    logger: silentLogger,
    remoteWaitMs: 5000,
    ...options,
  });
  t.after(() => d.stop());
  return { running, d, label: `127.0.0.1:${running.address.port}` };
}

test('over the free tier: kept in the outbox with a plain message; registering lets it through', async (t) => {
  const { running, d, label } = await serverAndDaemon(t);
  const told: FreeTierUsage[] = [];
  d.on('free-tier', (_label, usage) => told.push(usage));

  // More than the free tier in one object: refused, whatever the account itself already stores.
  const big = await d.objects.create(API_ID_JSON, Buffer.from(JSON.stringify({ blob: randomBytes(FREE).toString('base64') })));
  const state = await until(() => d.network.status().find((r) => r.freeTier)?.freeTier, 'the free tier to be reported');
  assert.equal(state.limit, FREE);
  assert.ok(state.used !== null && state.used <= FREE);
  assert.match(state.message, new RegExp(`^register on ${label.replace(/\./g, '\\.')} to upload more \\(.+ of 256 KiB used\\)`));
  assert.deepEqual(told.at(-1), state);
  assert.ok(d.network.status()[0]!.pending > 0, 'the refused upload is kept');
  assert.ok((running.engine as RulesEngine).usageOf(d.fingerprint)!.bytes <= FREE, 'the server stored no more than the free tier');

  await running.accounts!.register(d.fingerprint.text, 'operator');
  d.network.retryUploads(label);
  await until(() => d.network.status().every((r) => r.pending === 0 && r.freeTier === null), 'the outbox to drain');
  assert.ok((running.engine as RulesEngine).usageOf(d.fingerprint)!.bytes > FREE, 'registered: the rest went up');
  assert.ok(running.engine.exists(big.ghid));
});

test('registered elsewhere (a browser, the CLI): the daemon asks the remote by itself and the held uploads go up, with nobody asking it', async (t) => {
  const { running, d } = await serverAndDaemon(t, { registrationCheckMs: 100 });
  const big = await d.objects.create(API_ID_JSON, Buffer.from(JSON.stringify({ blob: randomBytes(FREE).toString('base64') })));
  await until(() => d.network.status().find((r) => r.freeTier)?.freeTier, 'the free tier to be reported');
  await running.accounts!.register(d.fingerprint.text, 'operator');
  await until(() => d.network.status().every((r) => r.pending === 0 && r.freeTier === null), 'the outbox to drain by itself');
  assert.ok(running.engine.exists(big.ghid));
});
