/**
 * "Unlock automatically on this computer": the root secret, encrypted by Electron's safeStorage
 * (the OS keychain: Keychain, DPAPI, libsecret/KWallet), in a file of the config directory that
 * only the user can read. Never in hypergolix.yml (defect 5).
 *
 * On Linux without a keyring safeStorage falls back to a fixed, well-known key ("basic_text");
 * that is no protection, so the vault reports itself unavailable there and the UI hides the option.
 */
import { readFile, rm } from 'node:fs/promises';
import { writeFileAtomic } from '../core/util/atomic-write.js';
import type { SecretVault } from '../host/vault.js';

/** The slice of Electron's safeStorage used here. */
export interface SafeStoragePort {
  isEncryptionAvailable(): boolean;
  encryptString(plain: string): Buffer;
  decryptString(encrypted: Buffer): string;
  /** Linux only. */
  getSelectedStorageBackend?(): string;
}

export const VAULT_FILE = 'unlock-secret.bin';

export class SafeStorageVault implements SecretVault {
  constructor(
    private readonly storage: SafeStoragePort,
    /** e.g. <config dir>/unlock-secret.bin */
    private readonly file: string,
    private readonly platform: NodeJS.Platform = process.platform,
  ) {}

  available(): boolean {
    if (!this.storage.isEncryptionAvailable()) return false;
    if (this.platform === 'linux' && this.storage.getSelectedStorageBackend?.() === 'basic_text') return false;
    return true;
  }

  async save(secret: Buffer): Promise<void> {
    if (!this.available()) throw new Error('Secure storage is not available on this computer');
    await writeFileAtomic(this.file, this.storage.encryptString(secret.toString('base64')), { mode: 0o600 });
  }

  async load(): Promise<Buffer | null> {
    let data: Buffer;
    try {
      data = await readFile(this.file);
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
      throw err;
    }
    if (!this.available()) return null;
    return Buffer.from(this.storage.decryptString(data), 'base64');
  }

  async clear(): Promise<void> {
    await rm(this.file, { force: true });
  }
}
