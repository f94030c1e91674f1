import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import {
  CommsError,
  Ghid,
  IllegalDynamicFrame,
  InvalidIdentity,
  MalformedGolixPrimitive,
  PrivateIdentity,
  Secret,
  HypergolixError,
  ValueError,
  type Gobd,
  type KeygenProgress,
} from '../golix/index.js';
import type { ObjectIO } from '../objects/object-io.js';
import { AccountMap } from './account-map.js';
import { AccountFromOtherVersion, AccountNotFound, AccountUnreachable, DamagedAccount, IncorrectPassword, PasswordChangedElsewhere, type AccountPlace } from './errors.js';
import { DEFAULT_KDF, deriveRootSecret, type KdfParams } from './kdf.js';
import { LwwMap } from './lww-map.js';
import { secretsRank } from '../objects/secrets.js';
import { KeptHere } from './kept-here.js';
import { MapJournal } from './map-journal.js';
import { decodeManifest, encodeManifest, type RootManifest } from './manifest.js';
import { MasterObject } from './master-object.js';
import { lostRootRace } from './root-race.js';
import { coreManifest, newRecoveryKey, readWithRecoveryKey, revokeRecoveryNode, writeRecoveryNode, type RecoveryKey } from './recovery.js';
import type { StatePrefix } from './state-keys.js';
import { StateNamespaces, type StateNamespace } from './state-namespace.js';

/**
 * The secrets map changes with every update of every object, and each write costs two RSA
 * signatures, so it is written at most once a second. The account journal (MapJournal)
 * keeps each change durable in between (SecretStore.secure).
 */
const SECRETS_FLUSH_MS = 1000;
/** How long a root write waits for every remote to be connected and to have answered this computer's previous root frame. */
const ROOT_SETTLE_WAIT_MS = 5_000;
/** How often a recovery kit is made (or a recovery done) again after losing a race to another computer's root write. */
const ROOT_RACE_TRIES = 3;

export type AccountProgress =
  | { stage: 'keys'; keygen: KeygenProgress }
  | { stage: 'password' }
  | { stage: 'objects' }
  | { stage: 'done' };

export interface CreateOptions {
  io: ObjectIO;
  password: string;
  kdf?: KdfParams;
  /** Names this device in merged account maps. */
  device: string;
  onProgress?: (p: AccountProgress) => void;
  /** Use an existing identity instead of generating one (tests, imports). */
  identity?: PrivateIdentity;
  /** The root secret, already derived from `password` (an account brought over keeps its own). */
  rootSecret?: Secret;
}

export interface LoginOptions {
  io: ObjectIO;
  userId: Ghid;
  /** Where `io` looked, for the message when the account is in none of them. @default 'local and remotes' */
  searched?: AccountPlace;
  /** Optional: when known (from the config), the root frame's binder must match it. */
  fingerprint?: Ghid | null;
  password?: string;
  /** `user.root_secret`: logs in without a password (discouraged). */
  rootSecret?: Secret;
  /** Opens with a recovery kit's key instead; `password` is then the new password, set at once. */
  recoveryKey?: Uint8Array;
  kdf?: KdfParams;
  device: string;
}

/**
 * A Hypergolix account (our own format, hypergolix-reference §2.10): a root node keyed by the
 * password-derived root secret, whose manifest names three master-secret objects — the private
 * identity, the store of object secrets, and everything else the daemon must remember.
 */
export class Account {
  private constructor(
    private readonly io: ObjectIO,
    readonly identity: PrivateIdentity,
    readonly userId: Ghid,
    private root: Secret,
    private currentManifest: RootManifest,
    /** object GHID (and container GHIDs) → secrets; see objects/secrets.ts */
    readonly secrets: AccountMap,
    /** Everything else the daemon remembers; its rooms reach it through `claimState`. */
    readonly state: AccountMap,
  ) {
    this.namespaces = new StateNamespaces(state);
  }

  private readonly journals: MapJournal[] = [];
  private here: KeptHere | null = null;
  /** Root writes of this computer's under way: their frames, pushed back, are no news (followRoot). */
  private rootWrites = 0;
  private readonly namespaces: StateNamespaces;

  /** The version of each object this computer last showed (kept-here.ts); null until `openJournals`. */
  get keptHere(): KeptHere | null {
    return this.here;
  }

  get fingerprint(): Ghid {
    return this.identity.ghid;
  }

  /** The root node's plaintext: the internal objects, and the recovery node once a kit was made. */
  get manifest(): RootManifest {
    return this.currentManifest;
  }

  /** Whether a recovery kit was made for the account. */
  get hasRecoveryKit(): boolean {
    return this.currentManifest.recovery !== undefined;
  }

  /** What the password derives; it opens the root node's newest frame. Changes with the password. */
  get rootSecret(): Secret {
    return this.root;
  }

  /**
   * Sets a new password (or, from a recovery key, a new root secret): the root node gets a new
   * frame, the same manifest encrypted under the new root secret. Every computer of the account
   * fetches that frame at its next login, so the old password opens nothing from then on. The
   * caller checks the new password against the rule and the current one against the account.
   * PasswordChangedElsewhere when another computer set another password since this one opened
   * the account: writing on top of it would silently bring back the password it replaced.
   */
  async changeRootSecret(next: Secret): Promise<void> {
    await this.writingRoot(async () => {
      const { frame, manifest } = await this.newestRoot('change the password');
      if (!(await this.writeRootAnswered(frame, next, manifest))) throw new PasswordChangedElsewhere(this.userId, 'change the password', true);
      this.root = next;
      this.currentManifest = manifest;
    });
  }

  /** Runs a root write of this computer's, the secret and manifest it leaves included, as one. */
  private async writingRoot<T>(write: () => Promise<T>): Promise<T> {
    this.rootWrites++;
    try {
      return await write();
    } finally {
      this.rootWrites--;
    }
  }

  /**
   * What a root frame another computer may have written (a remote's push, or its catch-up at a
   * start) means here: `ours` (a root write of this computer's is under way: not read), `same`
   * (it opens with the secret held here, and holds the manifest this computer holds), `kit` (a recovery kit
   * made elsewhere: its manifest is this computer's from now on, so a kit made here later revokes
   * that one), `password` (the secret this computer holds does not open it: the password was
   * changed on another computer, or the account recovered there), or `unreadable` for any other
   * reason (a container not here, damage): nothing is concluded from it.
   */
  async followRoot(frame: Gobd): Promise<'ours' | 'same' | 'kit' | 'password' | 'unreadable'> {
    if (!frame.dynamic.equals(this.userId)) throw new ValueError(`${frame.dynamic.short} is not the root node of account ${this.userId.short}`);
    if (this.rootWrites > 0) return 'ours';
    let manifest: RootManifest;
    try {
      manifest = decodeManifest(await MasterObject.readFrame(this.io, frame, this.root, this.fingerprint));
    } catch (err) {
      return err instanceof IncorrectPassword ? 'password' : 'unreadable';
    }
    // A write of ours may have begun meanwhile: it starts from the newest root anyway.
    if (this.rootWrites > 0) return 'ours';
    if (manifest.recovery?.ghid.text === this.currentManifest.recovery?.ghid.text) return 'same';
    this.currentManifest = manifest;
    return 'kit';
  }

  /** A root frame holding `manifest` under `secret`, naming the recovery node (if any) as a pinned target. */
  private async writeRoot(frame: Gobd, secret: Secret, manifest: RootManifest): Promise<Gobd> {
    const pins = manifest.recovery ? [manifest.recovery.ghid] : [];
    const root = MasterObject.at(this.io, this.identity, secret, frame);
    await root.write(encodeManifest(manifest), pins);
    return root.newest;
  }

  /**
   * writeRoot, then waits for the remotes' answer: false when another computer's root frame,
   * written at the same moment, stands there instead (this computer then follows it, root-race.ts).
   */
  private async writeRootAnswered(frame: Gobd, secret: Secret, manifest: RootManifest): Promise<boolean> {
    // Refused here: the other computer's frame of that counter reached this one first (pushed
    // since it was fetched), which this computer then already follows.
    const written = await this.writeRoot(frame, secret, manifest).catch((err: unknown) => {
      if (err instanceof IllegalDynamicFrame) return null;
      throw err;
    });
    if (!written) return false;
    await this.untilRootSettled();
    return !(await lostRootRace(this.io, this.identity, written));
  }

  /**
   * The newest root frame the remotes have (the copy here may be behind: another computer of the
   * account changed the password or made a kit meanwhile), and the manifest it holds. Each root
   * write starts from it, so that it carries on the other computer's recovery node and does not
   * hide its password under this computer's older one.
   */
  private async newestRoot(what: string): Promise<{ frame: Gobd; manifest: RootManifest }> {
    // A remote out of reach (or a root frame of ours it has not answered yet): the frame fetched
    // may not be the newest, and ours would be refused once it gets there, the remote keeping the
    // other computer's password and this computer its own, with nobody told. So a root write
    // waits (a start connects to the remotes; a kit then a password: the first frame is answered)
    // and, if that does not settle, is refused.
    await this.untilRootSettled();
    const frame = await this.io.fetch(this.userId, { fresh: true });
    if (frame?.type !== 'GOBD' || !frame.binder.equals(this.fingerprint)) {
      throw new AccountNotFound(this.userId, 'local and remotes', `The root node of ${this.userId.short} could not be fetched to ${what}`);
    }
    if (!this.rootSettled()) {
      throw new AccountUnreachable(this.userId, [], null, `Could not ${what}: every remote of the account must be reachable, so that the other computers learn of it and no change made meanwhile on one of them is written over`);
    }
    try {
      return { frame, manifest: decodeManifest(await MasterObject.readFrame(this.io, frame, this.root, this.fingerprint)) };
    } catch (err) {
      if (err instanceof IncorrectPassword) throw new PasswordChangedElsewhere(this.userId, what);
      throw err;
    }
  }

  /** Waits, at most ROOT_SETTLE_WAIT_MS, until rootSettled(). */
  private async untilRootSettled(): Promise<void> {
    for (let waited = 0; !this.rootSettled() && waited < ROOT_SETTLE_WAIT_MS; waited += 50) await sleep(50);
  }

  /** Whether every remote is connected and none still has a root frame of ours to answer (ObjectIO.chainBase is null just then). */
  private rootSettled(): boolean {
    return !this.io.waiting?.(this.userId) && (this.io.chainBase?.(this.userId, this.userId) ?? null) === null;
  }

  /**
   * Makes a recovery kit's key (recovery.ts): a new recovery node holding the manifest, named by
   * a new root frame; the previous kit's key (made here or on another computer) opens nothing
   * afterwards. The key is returned once and kept nowhere.
   */
  async makeRecoveryKey(): Promise<RecoveryKey> {
    return this.writingRoot(() => this.makeRecoveryKeyNow());
  }

  private async makeRecoveryKeyNow(): Promise<RecoveryKey> {
    for (let tries = 1; ; tries++) {
      // After a race lost to another computer's password change, this throws PasswordChangedElsewhere.
      const { frame, manifest: newest } = await this.newestRoot('make a recovery kit');
      const key = newRecoveryKey();
      const node = await writeRecoveryNode(this.io, this.identity, key.bytes, newest);
      const old = newest.recovery?.ghid;
      const manifest: RootManifest = { ...coreManifest(newest), recovery: { ghid: node, master: Secret.random() } };
      if (await this.writeRootAnswered(frame, this.root, manifest)) {
        this.currentManifest = manifest;
        if (old) await revokeRecoveryNode(this.io, this.identity, old);
        return key;
      }
      // Lost to another computer's kit, made at the same moment: ours is named by nothing; made again on theirs.
      await revokeRecoveryNode(this.io, this.identity, node);
      if (tries === ROOT_RACE_TRIES) throw new CommsError(`Could not make a recovery kit: other computers of account ${this.userId.short} kept changing its root at the same moment; try again`);
    }
  }

  /** Changes the password: `changeRootSecret` with the secret `password` derives under `kdf`. */
  async changePassword(password: string, kdf: KdfParams): Promise<void> {
    await this.changeRootSecret(await deriveRootSecret(password, this.fingerprint, kdf));
  }

  static async create(o: CreateOptions): Promise<Account> {
    const identity = o.identity ?? (await PrivateIdentity.generate((keygen) => o.onProgress?.({ stage: 'keys', keygen })));
    o.onProgress?.({ stage: 'password' });
    const rootSecret = o.rootSecret ?? (await deriveRootSecret(o.password, identity.ghid, o.kdf ?? DEFAULT_KDF));
    o.onProgress?.({ stage: 'objects' });
    await o.io.publish(identity.publicIdentity.gidc);
    const make = (plaintext: Buffer) => MasterObject.create(o.io, identity, Secret.random(), plaintext);
    const [idObj, secretsObj, stateObj] = await Promise.all([
      make(identity.serialize()),
      make(new LwwMap(o.device).encode()),
      make(new LwwMap(o.device).encode()),
    ]);
    const manifest: RootManifest = {
      identity: { ghid: idObj.ghid, master: idObj.master },
      secrets: { ghid: secretsObj.ghid, master: secretsObj.master },
      state: { ghid: stateObj.ghid, master: stateObj.master },
    };
    const root = await MasterObject.create(o.io, identity, rootSecret, encodeManifest(manifest));
    o.onProgress?.({ stage: 'done' });
    return new Account(
      o.io,
      identity,
      root.ghid,
      rootSecret,
      manifest,
      new AccountMap(secretsObj, new LwwMap(o.device, secretsRank), o.io, identity.ghid, SECRETS_FLUSH_MS),
      new AccountMap(stateObj, new LwwMap(o.device), o.io, identity.ghid),
    );
  }

  /**
   * Logs in: fetches the root frame (locally or from a remote, defect 24), takes the
   * fingerprint from its binder, derives the root secret and opens the manifest. Errors tell
   * what went wrong, before anything is written: AccountNotFound (no such root node),
   * IncorrectPassword (the manifest checksum), AccountFromOtherVersion (a manifest this version
   * cannot read, e.g. one of the Python Hypergolix), DamagedAccount (anything else inside).
   */
  static async login(o: LoginOptions): Promise<Account> {
    // A recovery starts from the newest root frame the remotes have, not a copy cached here.
    const frame = await o.io.fetch(o.userId, o.recoveryKey ? { fresh: true } : undefined).catch((err: unknown) => {
      // The copy of the root node here does not parse (a damaged or cut file): a damaged
      // account, told as one, not a bare protocol error no host can name.
      if (err instanceof MalformedGolixPrimitive && !(err instanceof DamagedAccount)) {
        throw new DamagedAccount('root copy', `the copy of its root node on this computer cannot be read (${err.message})`, { cause: err });
      }
      throw err;
    });
    if (!frame) throw new AccountNotFound(o.userId, o.searched ?? 'local and remotes');
    if (frame.type !== 'GOBD' || !frame.dynamic.equals(o.userId)) {
      // Most likely the fingerprint (a GIDC) or another GHID given for the user ID: no account
      // is there, whatever version (as the sign-in's probe of the remote says, host/account-probe.ts).
      throw new AccountNotFound(o.userId, o.searched ?? 'local and remotes', `${o.userId.short} is no account's user ID: it names ${frame.type === 'GOBD' ? 'a frame of another object' : `a ${frame.type}${frame.type === 'GIDC' ? ' (an identity: a fingerprint, not a user ID)' : ''}`}`);
    }
    if (frame.version !== 16) {
      throw new AccountFromOtherVersion('2016', `Account ${o.userId.short} was made by the 2016 Hypergolix (GOBD v${frame.version} root node)`);
    }
    const fingerprint = frame.binder;
    if (o.fingerprint && !o.fingerprint.equals(fingerprint)) {
      throw new InvalidIdentity(`User ID ${o.userId.short} belongs to ${fingerprint.short}, not the configured fingerprint ${o.fingerprint.short}`);
    }
    if (o.recoveryKey) return Account.recover(o, frame, o.recoveryKey);
    const rootSecret = o.rootSecret ?? (await deriveRootSecret(o.password ?? '', fingerprint, o.kdf ?? DEFAULT_KDF));
    const manifest = decodeManifest(await damagedUnless(() => MasterObject.readFrame(o.io, frame, rootSecret, fingerprint), 'root'));
    return Account.openManifest(o, fingerprint, rootSecret, manifest);
  }

  /**
   * Opens the account with a recovery key instead of its password and sets `o.password` as the
   * new password (it must already have passed the rule): the old password opens nothing after.
   */
  private static async recover(o: LoginOptions, frame: Gobd, key: Uint8Array, tries = 1): Promise<Account> {
    if (!o.password) throw new ValueError('Recovering an account sets a new password: give one');
    const { manifest } = await readWithRecoveryKey(o.io, frame, key, o.userId);
    const next = await deriveRootSecret(o.password, frame.binder, o.kdf ?? DEFAULT_KDF);
    const account = await Account.openManifest(o, frame.binder, next, manifest);
    // On the frame the key was read from (fetched fresh from the remotes): the old password,
    // unknown here, cannot open it, so changeRootSecret's check would refuse it.
    if (await account.writeRootAnswered(frame, next, manifest)) return account;
    // Another computer wrote the root at the same moment, and its frame stands: recovered again
    // on that one (WrongRecoveryKey if it names another kit now).
    if (tries === ROOT_RACE_TRIES) throw new PasswordChangedElsewhere(o.userId, 'recover the account', true);
    const standing = await o.io.fetch(o.userId, { fresh: true });
    if (standing?.type !== 'GOBD') throw new AccountNotFound(o.userId, 'remotes');
    return Account.recover(o, standing, key, tries + 1);
  }

  /** The identity and the two maps a manifest names, opened. */
  private static async openManifest(o: LoginOptions, fingerprint: Ghid, rootSecret: Secret, manifest: RootManifest): Promise<Account> {
    const idRead = await damagedUnless(() => MasterObject.open(o.io, null, manifest.identity.ghid, manifest.identity.master, fingerprint), 'identity');
    const identity = await damagedUnless(async () => PrivateIdentity.deserialize(idRead.plaintext), 'identity');
    if (!identity.ghid.equals(fingerprint)) throw new DamagedAccount('identity', 'its keys are not those of the account\'s fingerprint');
    const openMap = async (name: 'secrets' | 'state') => {
      const { object, plaintext } = await damagedUnless(() => MasterObject.open(o.io, identity, manifest[name].ghid, manifest[name].master, fingerprint), name);
      const map = await damagedUnless(async () => LwwMap.decode(plaintext, o.device, name === 'secrets' ? secretsRank : undefined), name);
      return new AccountMap(object!, map, o.io, fingerprint, name === 'secrets' ? SECRETS_FLUSH_MS : undefined);
    };
    const [secrets, state] = await Promise.all([openMap('secrets'), openMap('state')]);
    return new Account(o.io, identity, o.userId, rootSecret, manifest, secrets, state);
  }

  /**
   * The keys of `state` under one prefix (the registry is account/state-keys.ts), for the room
   * that owns them. Each prefix can be claimed once; a second claim throws StatePrefixClaimed.
   */
  claimState(prefix: StatePrefix): StateNamespace {
    return this.namespaces.claim(prefix);
  }

  /** Every dynamic GHID the account itself owns, for subscriptions. */
  get internalObjects(): Ghid[] {
    return [this.userId, this.manifest.identity.ghid, this.manifest.secrets.ghid, this.manifest.state.ghid];
  }

  /**
   * Journals both account maps in `dir` (one `<map GHID>.journal` each), first replaying what a
   * run that ended without writing the maps left there, and opens what this computer keeps
   * there of its own (`keptHere`). Call once, before any change.
   */
  async openJournals(dir: string, warn: (message: string) => void): Promise<void> {
    const opened = await Promise.all(
      (['secrets', 'state'] as const).map(async (name) => {
        const { ghid, master } = this.manifest[name];
        return { map: this[name], ...(await MapJournal.open({ path: join(dir, `${ghid.text}.journal`), master, map: ghid, warn })) };
      }),
    );
    for (const { map, journal, cells } of opened) {
      map.attachJournal(journal, cells);
      this.journals.push(journal);
    }
    this.here = await KeptHere.open(dir, this.manifest.secrets, warn);
  }

  async flush(): Promise<void> {
    await Promise.all([this.secrets.flush(), this.state.flush()]);
  }

  /** Writes both maps and closes their journals (shutdown). */
  async close(): Promise<void> {
    try {
      await this.flush();
    } finally {
      // Nothing may write after the journals close: a failed flush is not retried by a timer.
      this.secrets.stop();
      this.state.stop();
      await Promise.all([...this.journals.splice(0).map((j) => j.close()), this.here?.close()]);
    }
  }
}

/**
 * Runs one step of opening an account whose password was right: a protocol error it throws
 * means the account is damaged (`part` says where), unless it already says what it is.
 */
async function damagedUnless<T>(step: () => Promise<T>, part: string): Promise<T> {
  try {
    return await step();
  } catch (err) {
    if (err instanceof IncorrectPassword || err instanceof DamagedAccount || err instanceof AccountFromOtherVersion || !(err instanceof HypergolixError)) throw err;
    throw new DamagedAccount(part, err.message, { cause: err });
  }
}
