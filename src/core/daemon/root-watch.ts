/**
 * The account's root node seen moving on while this computer has the account open: another
 * computer changed the password (or recovered the account), or made a recovery kit. A password
 * changed elsewhere leaves this computer unlocked with the secret it holds, and its next unlock
 * with the old password would only hear "incorrect password" — the person would think they had
 * forgotten it. So it is said at once (a warning, the daemon's event and status), and noted in
 * the account's directory (`password-changed-elsewhere.json`), so that an unlock here that the
 * password no longer opens says why (OutdatedPassword). The note holds the root frame's GHID
 * (public: every remote has it) and a time, nothing secret; an unlock that opens the account
 * removes it.
 */
import { readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Account } from '../account/account.js';
import { IncorrectPassword, OutdatedPassword, PasswordChangedElsewhere } from '../account/errors.js';
import type { Ghid, GolixObject } from '../golix/index.js';
import type { RemoteLogger } from '../remote/logger.js';
import { writeFileAtomic } from '../util/atomic-write.js';
import { makeDirs } from '../util/make-dirs.js';

const NOTE_FILE = 'password-changed-elsewhere.json';

/** When this computer learned that the password was changed elsewhere, per its note in `dir`; null without one (or one it cannot read). */
export async function passwordChangedElsewhereAt(dir: string): Promise<number | null> {
  try {
    const note = JSON.parse(await readFile(join(dir, NOTE_FILE), 'utf8')) as { noticedAt?: unknown };
    return Number.isSafeInteger(note.noticedAt) && (note.noticedAt as number) > 0 ? (note.noticedAt as number) : null;
  } catch {
    return null;
  }
}

/** Why an unlock here failed: `err`, or OutdatedPassword when the password given does not open the account and this computer noted the password changed elsewhere. */
export async function whyNotOpened(err: unknown, dir: string): Promise<unknown> {
  if (!(err instanceof IncorrectPassword) || err instanceof PasswordChangedElsewhere) return err;
  const noticedAt = await passwordChangedElsewhereAt(dir);
  return noticedAt === null ? err : new OutdatedPassword(noticedAt, { cause: err });
}

/** Removes the note: the account was opened here with the password as it is now. */
export async function forgetPasswordChangedElsewhere(dir: string): Promise<void> {
  await rm(join(dir, NOTE_FILE), { force: true });
}

export interface RootWatchHost {
  account: Account;
  /** The root frame the local cache holds as current (only that one is read: a catch-up may bring older ones). */
  currentRoot: () => string | null;
  logger: RemoteLogger;
  /** The account's directory here (the maps' journals). */
  dir: string;
  /** Told once, when the password is found changed elsewhere. */
  passwordChanged: (at: number) => void;
}

export class RootWatch {
  private changedAt: number | null = null;
  /** One frame at a time, each told after its note is written (a stop right after finds it there). */
  private following: Promise<void> = Promise.resolve();

  constructor(private readonly host: RootWatchHost) {}

  /** When this computer found the password changed on another computer since it was unlocked; null if it has not. */
  get passwordChangedElsewhereAt(): number | null {
    return this.changedAt;
  }

  /** A frame of the root node came (and is stored): what it means here. */
  moved(obj: GolixObject): Promise<void> {
    const run = this.following.then(() => this.follow(obj));
    // A frame that failed (the caller hears of it) does not stop the next from being followed.
    this.following = run.catch(() => {});
    return run;
  }

  private async follow(obj: GolixObject): Promise<void> {
    const { account, logger } = this.host;
    if (obj.type !== 'GOBD' || this.host.currentRoot() !== obj.ghid.text) return;
    const outcome = await account.followRoot(obj);
    logger.debug(`the account's root node ${account.userId.short} moved on (${obj.ghid.short}): ${outcome}`);
    if (outcome === 'kit') logger.info('A recovery kit was made on another computer of this account: the key of any earlier kit opens nothing any more');
    if (outcome === 'password' && this.changedAt === null) await this.passwordChanged(obj.ghid);
    // Set back on the other computer to the password this one holds: nothing to tell any more.
    if ((outcome === 'same' || outcome === 'kit') && this.changedAt !== null) {
      await forgetPasswordChangedElsewhere(this.host.dir).catch(() => {});
      this.changedAt = null;
      logger.info('The password this computer was unlocked with opens the account again (it was set back on another computer)');
    }
  }

  private async passwordChanged(frame: Ghid): Promise<void> {
    const at = Date.now();
    this.host.logger.warn(
      'The password of this account was changed on another computer (or the account recovered there). This computer stays unlocked as it is; to unlock it again, use the new password',
    );
    try {
      await makeDirs(this.host.dir);
      await writeFileAtomic(join(this.host.dir, NOTE_FILE), `${JSON.stringify({ frame: frame.text, noticedAt: at })}\n`);
    } catch (err) {
      // Only the words of a later failed unlock depend on it.
      this.host.logger.warn(`Could not note that the password was changed elsewhere (${(err as Error).message}); an unlock with the old password will only say it is incorrect`);
    }
    this.changedAt = at;
    this.host.passwordChanged(at);
  }
}
