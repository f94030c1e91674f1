/**
 * "Unlock automatically on this computer": the account's root secret kept in the OS's secure
 * storage (Electron's safeStorage in src/main), with `desktop.unlock_automatically` in
 * hypergolix.yml saying it is on. Browser mode has no secure storage, so there the option is
 * unavailable. The secret never goes into the YAML.
 */
import { Secret } from '../core/golix/index.js';
import type { HypergolixConfig } from '../core/config/index.js';
import type { Logger } from '../core/log/index.js';
import type { ConfigFollower } from './config-follower.js';
import type { StartedApp } from './daemon-runner.js';

/** Where the secret is kept: the OS's secure storage. */
export interface SecretVault {
  /** Whether secure storage works here now (Linux without a keyring: false). */
  available(): boolean;
  save(secret: Buffer): Promise<void>;
  load(): Promise<Buffer | null>;
  clear(): Promise<void>;
}

/** What the vault holds: the secret and the account it opens (a secret for another account is ignored). */
interface VaultRecord {
  v: 1;
  userId: string;
  secret: string;
}

export function encodeRecord(userId: string, secret: Secret): Buffer {
  const rec: VaultRecord = { v: 1, userId, secret: secret.text };
  return Buffer.from(JSON.stringify(rec), 'utf8');
}

/** The secret a record keeps for `userId`; null when it is another account's or not a record of ours. */
export function decodeRecord(raw: Buffer, userId: string | undefined): Secret | null {
  const rec = JSON.parse(raw.toString('utf8')) as Partial<VaultRecord>;
  if (rec.v !== 1 || typeof rec.secret !== 'string' || rec.userId !== userId) return null;
  return Secret.fromText(rec.secret);
}

export class UnlockAutomatically {
  constructor(
    private readonly vault: SecretVault | undefined,
    private readonly config: ConfigFollower,
    private readonly log: Logger,
  ) {}

  /** Whether the option can be offered here. */
  available(): boolean {
    try {
      return this.vault?.available() ?? false;
    } catch {
      return false;
    }
  }

  /**
   * The secret to unlock with at a start: a legacy `user.root_secret` (honoured, and warned about
   * in status: defect 5), else the kept one when the file says "unlock automatically"; null when
   * there is none, told through `say` where the file said there would be.
   */
  async atStart(config: HypergolixConfig, say: (message: string) => void): Promise<{ secret: Secret; fromVault: boolean } | null> {
    if (config.user.root_secret) return { secret: config.user.root_secret, fromVault: false };
    if (!config.desktop.unlock_automatically) return null;
    if (!this.available()) {
      say('"Unlock automatically" is on, but this host has no secure storage; enter your password.');
      return null;
    }
    const secret = await this.read(config.user.user_id?.text).catch((err: unknown) => {
      this.log.warn(`Could not read the saved secret: ${err instanceof Error ? err.message : String(err)}`);
      return null;
    });
    if (!secret) {
      say('Could not unlock automatically; enter your password.');
      return null;
    }
    return { secret, fromVault: true };
  }

  /** The kept secret for the account `userId`; null when there is none for it. */
  async read(userId: string | undefined): Promise<Secret | null> {
    const raw = await this.vault!.load();
    if (!raw) return null;
    const secret = decodeRecord(raw, userId);
    if (!secret) this.log.warn('The saved secret belongs to another account; ignoring it');
    return secret;
  }

  /** After an unlock: keep the running account's secret (and turn the option on), or turn it off. */
  async choose(remember: boolean, app: StartedApp): Promise<void> {
    if (remember) {
      // A recovery, or a password change, where the file says "on" but this host cannot keep it (browser mode).
      if (!this.vault || !this.available()) throw new Error('this computer has no secure storage for the password');
      await this.vault.save(encodeRecord(app.daemon.userId.text, app.daemon.account.rootSecret));
      try {
        await this.config.setUnlockAutomatically(true);
      } catch (err) {
        // The file still says "off" (the warning says so): no secret may stay behind in the vault.
        await this.vault.clear().catch((e: unknown) => this.log.warn(`Could not clear the saved secret: ${e instanceof Error ? e.message : String(e)}`));
        throw err;
      }
      this.log.info('This computer now unlocks Hypergolix automatically');
    } else if (this.available() && this.config.current?.config.desktop.unlock_automatically) {
      // Only a host that offered the choice turns it off: browser mode, with no secure storage,
      // shares hypergolix.yml with the desktop app, whose "unlock automatically" is not its to undo.
      await this.forget();
    }
  }

  /** Drops the kept secret and turns the option off. */
  async forget(): Promise<void> {
    await this.vault?.clear();
    await this.config.setUnlockAutomatically(false);
  }
}
