/**
 * Where a server keeps its registrations. `AccountRegistry` is what the rest of the server uses;
 * `FileRegistry` keeps them in a journal beside the ghidcache (`<ghidcache>.accounts`, one JSON
 * line per change, appended with O_APPEND and made durable before the change counts);
 * `PgRegistry` (src/core/postgres/registry.ts) keeps the same ops in the database the nodes of a
 * cluster share. Both are an `OpLogRegistry`: the state is the ops applied in order.
 *
 * The operator's CLI (`hypergolix server accounts`) appends to the same file while the server
 * runs: whole short lines appended with O_APPEND never interleave, and the server reads what was
 * appended since it last looked before each decision (a stat per decision, a read when the file
 * grew), so an approval or a revocation takes effect at the next upload. The file is never
 * rewritten, so both keep appending safely; a torn last line (a crash mid-write) is left unread
 * until it is complete, and a line this version does not understand is skipped.
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, fstatSync, openSync, readSync } from 'node:fs';
import { AppendLog } from '../util/append-log.js';
import { RegistrationState, parseOp, type AccountRecord, type AccountStatus, type InviteRecord, type RegistrationOp, type RegistrationVia } from './records.js';

export interface AccountRegistry {
  /** The account's record as of now, or null for an identity the server has never seen register. */
  get(fingerprint: string): AccountRecord | null;
  list(): AccountRecord[];
  counts(): Record<AccountStatus, number>;
  /** Registers (or re-registers) an account. */
  register(fingerprint: string, via: RegistrationVia): Promise<void>;
  /** Asks the operator to approve an account; no change to one already decided. */
  request(fingerprint: string): Promise<void>;
  revoke(fingerprint: string): Promise<void>;
  /** A new invite code, usable `uses` times until `expires` (ms since the epoch) or forever. */
  createInvite(uses: number, expires: number | null): Promise<string>;
  /**
   * Spends one use of an invite and registers `fingerprint` with it, in one record (so a failure
   * cannot spend the use without the registration); false when the code is unknown, used up or expired.
   */
  useInvite(code: string, fingerprint: string): Promise<boolean>;
  /** Reads what other writers (the operator's CLI, other nodes) recorded since the last look. */
  refresh(): void | Promise<void>;
  close(): Promise<void>;
}

/** The journal's path for a ghidcache directory: beside it, never inside (the store owns that). */
export function registrationsPath(ghidcache: string): string {
  return `${ghidcache.replace(/[\\/]+$/, '')}.accounts`;
}

/** An invite code's id in the journal. */
export function inviteId(code: string): string {
  return createHash('sha256').update(code.trim(), 'utf8').digest('hex');
}

/**
 * A registry kept as a log of `RegistrationOp`s, wherever the log lives: the state is the ops
 * applied in order, reads answer from it (after `catchUpNow`, which a backend with a cheap
 * synchronous look uses), and every change is one op appended.
 */
export abstract class OpLogRegistry implements AccountRegistry {
  protected readonly state = new RegistrationState();

  protected constructor(protected readonly now: () => number) {}

  /** Appends one op durably and applies it (with anything else appended meanwhile). */
  protected abstract append(op: RegistrationOp): Promise<void>;
  /** What a synchronous read can learn of others' ops before answering. */
  protected abstract catchUpNow(): void;
  abstract refresh(): void | Promise<void>;
  abstract useInvite(code: string, fingerprint: string): Promise<boolean>;
  abstract close(): Promise<void>;

  get(fingerprint: string): AccountRecord | null {
    this.catchUpNow();
    const a = this.state.accounts.get(fingerprint);
    return a ? { ...a } : null;
  }

  list(): AccountRecord[] {
    this.catchUpNow();
    return [...this.state.accounts.values()].map((a) => ({ ...a })).sort((a, b) => a.since - b.since);
  }

  counts(): Record<AccountStatus, number> {
    this.catchUpNow();
    return this.state.counts();
  }

  invites(): InviteRecord[] {
    this.catchUpNow();
    return [...this.state.invites.values()].map((i) => ({ ...i }));
  }

  register(fp: string, via: RegistrationVia): Promise<void> {
    return this.append({ op: 'register', fp, via, at: this.now() });
  }

  request(fp: string): Promise<void> {
    return this.append({ op: 'request', fp, at: this.now() });
  }

  revoke(fp: string): Promise<void> {
    return this.append({ op: 'revoke', fp, at: this.now() });
  }

  async createInvite(uses: number, expires: number | null): Promise<string> {
    const code = randomBytes(12).toString('base64url');
    await this.append({ op: 'invite', id: inviteId(code), uses, expires, at: this.now() });
    return code;
  }

  /** Whether the invite `id` has a use left now, `taken` uses already promised elsewhere. */
  protected inviteUsable(id: string, taken = 0): boolean {
    const invite = this.state.invites.get(id);
    return !!invite && invite.usesLeft - taken >= 1 && (invite.expires === null || invite.expires > this.now());
  }
}

export class FileRegistry extends OpLogRegistry {
  /** Bytes of the file read and applied so far (always at a line's end). */
  private offset = 0;
  /** Invite uses being written, per invite id: not yet in the state, already taken. */
  private readonly spending = new Map<string, number>();

  private constructor(
    private readonly log: AppendLog,
    now: () => number,
  ) {
    super(now);
  }

  static async open(path: string, now: () => number = Date.now): Promise<FileRegistry> {
    const { log } = await AppendLog.open(path, undefined, { shared: true });
    const registry = new FileRegistry(log, now);
    registry.refresh();
    return registry;
  }

  get path(): string {
    return this.log.path;
  }

  async useInvite(code: string, fp: string): Promise<boolean> {
    this.refresh();
    const id = inviteId(code);
    const spending = this.spending.get(id) ?? 0;
    if (!this.inviteUsable(id, spending)) return false;
    // Counted as spent at once, so two registrations racing for the last use cannot both have it.
    this.spending.set(id, spending + 1);
    const before = this.state.usesBy(id, fp);
    try {
      await this.append({ op: 'invite-used', id, fp, at: this.now() });
    } finally {
      const left = (this.spending.get(id) ?? 1) - 1;
      if (left > 0) this.spending.set(id, left);
      else this.spending.delete(id);
    }
    // Another process (the operator's CLI, a second server) may have appended a use of the last
    // one between our check and our line: the file's order says whose it is.
    return this.state.usesBy(id, fp) > before;
  }

  close(): Promise<void> {
    return this.log.close();
  }

  protected async append(op: RegistrationOp): Promise<void> {
    // After a line torn by a crash (or a failed write, never cut back in a shared file), a
    // record starts on a line of its own: glued to the fragment, it would be lost with it.
    await this.log.append([this.endsMidLine() ? Buffer.concat([NEWLINE, line(op)]) : line(op)]);
    this.refresh();
  }

  /** Whether the file ends inside a line. */
  private endsMidLine(): boolean {
    let fd: number;
    try {
      fd = openSync(this.log.path, 'r');
    } catch {
      return false;
    }
    try {
      const size = fstatSync(fd).size;
      const last = Buffer.alloc(1);
      return size > 0 && readSync(fd, last, 0, 1, size - 1) === 1 && last[0] !== 0x0a;
    } finally {
      closeSync(fd);
    }
  }

  protected catchUpNow(): void {
    this.refresh();
  }

  /** Reads and applies whatever complete lines were appended since the last look. */
  refresh(): void {
    let fd: number;
    try {
      fd = openSync(this.log.path, 'r');
    } catch {
      return;
    }
    try {
      const size = fstatSync(fd).size;
      if (size <= this.offset) return;
      const buf = Buffer.alloc(size - this.offset);
      const got = readSync(fd, buf, 0, buf.length, this.offset);
      const end = buf.lastIndexOf(0x0a, got - 1);
      if (end < 0) return;
      for (const text of buf.subarray(0, end).toString('utf8').split('\n')) {
        const op = text ? parseOp(text) : null;
        if (op) this.state.apply(op);
      }
      this.offset += end + 1;
    } finally {
      closeSync(fd);
    }
  }
}

const NEWLINE = Buffer.from('\n');

function line(op: RegistrationOp): Buffer {
  return Buffer.from(JSON.stringify(op) + '\n', 'utf8');
}
