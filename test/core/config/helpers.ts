// Shared by the config tests: throwaway directories and real-looking identifiers.
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { Ghid } from '../../../src/core/golix/ghid.js';
import { Secret } from '../../../src/core/golix/secret.js';

const made: string[] = [];
after(() => {
  for (const d of made) rmSync(d, { recursive: true, force: true });
});

/** A fresh directory under the OS temp dir, removed when the test file finishes. */
export function tempDir(label = 'hgx-config-'): string {
  const d = mkdtempSync(join(tmpdir(), label));
  made.push(d);
  return d;
}

export const ghidText = (): string => Ghid.fromDigest(randomBytes(64)).text;
export const secretText = (): string => Secret.random().text;

/**
 * Locate options for a sandbox: home, cwd and the system directory all inside `root`, and an
 * environment that names nothing outside it.
 */
export function sandbox(root: string, env: NodeJS.ProcessEnv = {}) {
  return {
    env,
    cwd: join(root, 'cwd'),
    homedir: join(root, 'home'),
    systemDir: join(root, 'etc-hypergolix'),
    platform: 'linux' as NodeJS.Platform,
  };
}

/** Every setting's default, as resolved for a config in `dir` (README, hypergolix-reference §6.1). */
export function expectedDefaults(dir: string) {
  return {
    process: {
      ghidcache: join(dir, 'ghidcache'),
      logdir: join(dir, 'logs'),
      pid_file: join(dir, 'hypergolix.pid'),
      ipc_port: 7772,
      ipc_legacy_clients: false,
      ipc_accept_sent_key: true,
    },
    instrumentation: { verbosity: 'info', debug: false, traceur: false },
    user: { fingerprint: null, user_id: null, root_secret: null },
    remotes: [],
    server: {
      ghidcache: join(dir, 'server', 'ghidcache'),
      logdir: join(dir, 'server', 'logs'),
      pid_file: join(dir, 'hgx-server.pid'),
      host: '127.0.0.1',
      port: 7770,
      verbosity: 'info',
      debug: false,
      max_message_bytes: 10 * 1024 * 1024,
      accept_v15: false,
      max_subscriptions: 10000,
      max_requests_per_recipient: null,
      push_budget_bytes: 64 * 1024 * 1024,
      check_store_hours: 24,
      publish_allowlist: null,
      quota_bytes_per_identity: null,
      quota_objects_per_identity: null,
      publish_rate_per_identity: null,
      publish_burst: null,
      registration: 'off',
      unregistered_upload_bytes: null,
      public_names: [],
      registration_webhook_secret: null,
      unsigned_publish_rate_per_connection: null,
      store: 'files',
      postgres: null,
    },
    sharing: { accept: 'ask', block: [] },
    account: { kdf: null },
    desktop: {
      embedded_server: false,
      start_at_login: false,
      notifications: { incoming_share: true, share_result: true, remote_unreachable: true, daemon_error: true, account_change: true },
      unlock_automatically: false,
    },
  };
}
