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
