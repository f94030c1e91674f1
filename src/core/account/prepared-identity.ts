/**
 * A new account's keys, made ahead while the person is still choosing a password.
 *
 * Key generation is nearly all of an account's creation: two RSA-4096 keys take 0.7–3.6 s on a
 * two-core machine (OpenSSL 3 runs 64 Miller–Rabin rounds on each 2048-bit prime), while the
 * password's scrypt and the account's first objects take under half a second — and scrypt
 * cannot start early, because its salt is the fingerprint the keys make. The first-run wizard
 * is on screen for longer than that, so the keys are started when it shows and are usually
 * ready when "Create" is pressed.
 *
 * The keys stay in this process's memory only; an identity is handed out once, then forgotten.
 */
import { PrivateIdentity, type KeygenProgress } from '../golix/index.js';

/** One set of keys being made, with the progress to pass on to whoever takes them. */
interface Preparation {
  keys: Promise<PrivateIdentity>;
  latest: KeygenProgress | null;
  listener: ((p: KeygenProgress) => void) | null;
}

export interface PreparedIdentityOptions {
  /** How keys are made. @default PrivateIdentity.generate */
  generate?: (onProgress: (p: KeygenProgress) => void) => Promise<PrivateIdentity>;
  /** false: `prepare` does nothing and keys are made when taken (tests that mostly make no account). @default true */
  ahead?: boolean;
}

export class PreparedIdentity {
  private current: Preparation | null = null;
  private readonly generate: (onProgress: (p: KeygenProgress) => void) => Promise<PrivateIdentity>;
  private readonly ahead: boolean;

  constructor(o: PreparedIdentityOptions = {}) {
    this.generate = o.generate ?? ((p) => PrivateIdentity.generate(p));
    this.ahead = o.ahead ?? true;
  }

  /** Whether keys are being made or are ready to take. */
  get prepared(): boolean {
    return this.current !== null;
  }

  /** Starts making keys, unless some are already being made or waiting. */
  prepare(): void {
    if (this.current || !this.ahead) return;
    const prep: Preparation = { keys: Promise.resolve(null as never), latest: null, listener: null };
    prep.keys = this.generate((p) => {
      prep.latest = p;
      prep.listener?.(p);
    });
    // A failure is met by whoever takes them (who then makes keys afresh); unhandled, it would
    // end the process.
    prep.keys.catch(() => undefined);
    this.current = prep;
  }

  /**
   * Hands over the keys being made (or made), reporting their progress from now on, and forgets
   * them: a later call makes another set. Without a preparation, or if it failed, it makes keys now.
   */
  async take(onProgress?: (p: KeygenProgress) => void): Promise<PrivateIdentity> {
    const prep = this.current;
    this.current = null;
    if (!prep) return this.generate((p) => onProgress?.(p));
    prep.listener = onProgress ?? null;
    if (prep.latest) onProgress?.(prep.latest);
    try {
      return await prep.keys;
    } catch {
      return await this.generate((p) => onProgress?.(p));
    } finally {
      prep.listener = null;
    }
  }

  /** Drops the keys (the person signed in to an account instead); ones still being made finish unseen. */
  discard(): void {
    if (this.current) this.current.listener = null;
    this.current = null;
  }
}
