/**
 * "Unlock automatically on this computer": the root secret, encrypted by Electron's safeStorage
 * (the OS keychain: Keychain, DPAPI, libsecret/KWallet), in a file of the config directory that
 * only the user can read. Never in hypergolix.yml (defect 5).
 *
 * safeStorage is reached only when the option is used (a save when the user turns it on, a
 * load when it is on at start), through the asynchronous API: asking the keychain can block on
 * a prompt, and an unsigned update re-prompts, so the status snapshot (every 2 s) never asks.
 * `available()` answers from what the last use found, optimistic until then, except where it
 * is known without asking: a Linux started with `--password-store=basic`.
 *
 * On Linux without a keyring safeStorage falls back to a fixed, well-known key ("basic_text");
 * that is no protection, so it is refused: the save fails saying so, and the option is offered
 * no more.
 */
import { readFile, rm } from 'node:fs/promises';
import { writeFileAtomic } from '../core/util/atomic-write.js';
import type { SecretVault } from '../host/vault.js';

/** The slice of Electron's safeStorage used here (the asynchronous API of Electron 45). */
export interface SafeStoragePort {
  isAsyncEncryptionAvailable(): Promise<boolean>;
  encryptStringAsync(plain: string): Promise<Buffer>;
  decryptStringAsync(encrypted: Buffer): Promise<{ result: string; shouldReEncrypt: boolean }>;
  /** Linux only. */
  getSelectedStorageBackend?(): string;
}

export const VAULT_FILE = 'unlock-secret.bin';

/** Thrown by save when this computer has no secure storage worth the name. */
export class NoSecureStorage extends Error {
  override readonly name = 'NoSecureStorage';
}

export class SafeStorageVault implements SecretVault {
  /** What the last use of safeStorage found; null before any. */
  private usable: boolean | null = null;

  constructor(
    private readonly storage: SafeStoragePort,
    /** e.g. <config dir>/unlock-secret.bin */
    private readonly file: string,
    private readonly platform: NodeJS.Platform = process.platform,
    private readonly argv: readonly string[] = process.argv,
  ) {}

  /** Never touches safeStorage (see above). */
  available(): boolean {
    if (this.usable !== null) return this.usable;
    return !(this.platform === 'linux' && this.argv.some((a) => /^--password-store=["']?basic["']?$/.test(a)));
  }

  /** Asks safeStorage once, when it is about to be used; refuses Linux's fixed-key fallback. */
  private async check(): Promise<void> {
    let ok = await this.storage.isAsyncEncryptionAvailable();
    let why = 'the system keychain is not available';
    if (ok && this.platform === 'linux' && this.storage.getSelectedStorageBackend?.() === 'basic_text') {
      ok = false;
      why = 'no keyring (GNOME Keyring, KWallet) is running, and a fixed key would be no protection';
    }
    this.usable = ok;
    if (!ok) throw new NoSecureStorage(`Secure storage is not available on this computer: ${why}`);
  }

  async save(secret: Buffer): Promise<void> {
    await this.check();
    const sealed = await this.storage.encryptStringAsync(secret.toString('base64'));
    await writeFileAtomic(this.file, sealed, { mode: 0o600 });
  }

  async load(): Promise<Buffer | null> {
    let data: Buffer;
    try {
      data = await readFile(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    try {
      await this.check();
    } catch {
      return null;
    }
    const { result, shouldReEncrypt } = await this.storage.decryptStringAsync(data);
    const secret = Buffer.from(result, 'base64');
    // The OS rotated its key: keep the file readable next time (a failure only costs a re-prompt).
    if (shouldReEncrypt) await this.save(secret).catch(() => undefined);
    return secret;
  }

  async clear(): Promise<void> {
    await rm(this.file, { force: true });
  }
}
