import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { setTimeout as sleep } from 'node:timers/promises';
import { Account } from '../account/account.js';
import type { AccountMap } from '../account/account-map.js';
import { AccountUnreachable, DamagedAccount } from '../account/errors.js';
import type { StatePrefix } from '../account/state-keys.js';
import type { StateNamespace } from '../account/state-namespace.js';
import { Ghid, IllegalDynamicFrame, UnknownSecret, type GolixObject, type PrivateIdentity, type Secret } from '../golix/index.js';
import type { ApiId } from '../objects/hgxd.js';
import { ObjectNotFound, noSecretReads } from '../objects/errors.js';
import { ObjectManager, type AppObject } from '../objects/manager.js';
import { SecretStore } from '../objects/secrets.js';
import type { RemoteLogger } from '../remote/logger.js';
import { RulesEngine } from '../rules/rules-engine.js';
import { FileStore } from '../store/file-store.js';
import { PastFrames, recordingFrames } from './past-frames.js';
import type { BroughtOver } from '../legacy/bring-over.js';
import { CacheCheck, type CacheCheckOptions, type CacheCheckReport } from './cache-check.js';
import { ConflictResolver } from './conflict-resolver.js';
import type { DamagedCopy } from './local-copy.js';
import { NetworkIO } from './network-io.js';
import { NetworkChanges, type NetworkChangesOptions } from './network-changes.js';
import { registrationLinkFor, remoteAccountsOf, type RemoteAccountView } from './remote-accounts.js';
import { openAccount } from './open-account.js';
import { RootWatch, forgetPasswordChangedElsewhere, whyNotOpened } from './root-watch.js';
import { FreeTierWatch } from './free-tier-watch.js';
import { SETTLE_WAIT_MS, untilSettled } from './settle-wait.js';
import { RECORD_WAITS_MS, nextUpdateStep } from './record-waits.js';
import type { DaemonPort, DaemonPortEvents, DaemonStatus } from './port.js';

import type { DaemonOptions } from './daemon-options.js';
export type { AccountRequest, DaemonOptions } from './daemon-options.js';

export type DaemonEvents = DaemonPortEvents;

/** How long a stop waits for the conflicts being resolved (their waits end at once; a signature may be under way). */
const STOP_RESOLUTIONS_WAIT_MS = 3_000;
/**
 * The app daemon's engine room, independent of how it is hosted (CLI, Electron, tests): the
 * local validated cache, the remotes, the account and its objects, and the routing of what the
 * remotes push. Sharing and IPC see it as a `DaemonPort` (port.ts); hosts may also read its
 * parts (status, statistics).
 */
export class Daemon extends EventEmitter<DaemonEvents> implements DaemonPort {
  /** Aborted by stop(): ends the waits of a merge in progress. */
  private readonly stopping = new AbortController();
  /** Objects reported unreadable (DaemonPortEvents), until one of their versions is read again. */
  private readonly unreadable = new Set<string>();
  /** Objects kept subscribed whether live or not (follow), by GHID text. */
  private readonly followed = new Set<string>();
  /** What a remote's refusal of our frame as not newer brings about (conflict-resolver.ts). */
  private readonly conflicts: ConflictResolver;
  /** The background check of the local copy (cache-check.ts). */
  private readonly check: CacheCheck;
  /** What checks the remotes when this computer's network changes (network-changes.ts); null: not watched (switched off, or no remotes). */
  readonly networkChanges: NetworkChanges | null;
  /** What the account's root node moving on means here: a password changed elsewhere (root-watch.ts). */
  readonly rootWatch: RootWatch;
  /** Asks remotes holding our uploads whether we registered there since (free-tier-watch.ts). */
  private readonly freeTierWatch: FreeTierWatch;

  private constructor(
    readonly engine: RulesEngine,
    readonly network: NetworkIO,
    readonly account: Account,
    readonly objects: ObjectManager,
    private readonly logger: RemoteLogger,
    /** Set when this start brought an account of the Python Hypergolix over into our format. */
    readonly broughtOver: BroughtOver | null,
    accountDir: string,
    checkOptions: CacheCheckOptions = {},
    watchOptions: NetworkChangesOptions | false = {},
    registrationCheckMs?: number,
  ) {
    super();
    this.freeTierWatch = new FreeTierWatch({ held: () => network.status().some((r) => r.freeTier !== null), ask: () => this.remoteAccounts(), logger }, registrationCheckMs);
    const currentRoot = () => engine.currentFrame(account.userId)?.ghid ?? null;
    this.rootWatch = new RootWatch({ account, currentRoot, logger, dir: accountDir, passwordChanged: (at) => this.emit('password-changed-elsewhere', at) });
    this.conflicts = new ConflictResolver({ account, objects, network, logger, accountMap: (g) => this.accountMap(g), stopping: this.stopping.signal });
    const checkHost = { engine, logger, stopped: this.stopping.signal, mend: (g: Ghid, c: DamagedCopy) => network.mend(g, c), changed: () => this.emit('cache-check'), checkRemotes: async () => (await network.auditRemotes()).reduce((n, r) => n + r.taken, 0) };
    this.check = new CacheCheck(checkHost, checkOptions);
    // Without remotes there is nothing a changed network could bring back.
    this.networkChanges = watchOptions === false || network.status().length === 0 ? null : new NetworkChanges({ changed: () => network.tryNow({ checkLinks: true }), logger }, watchOptions);
  }

  get fingerprint(): Ghid {
    return this.account.fingerprint;
  }

  get userId(): Ghid {
    return this.account.userId;
  }

  get identity(): PrivateIdentity {
    return this.account.identity;
  }

  state(prefix: StatePrefix): StateNamespace {
    return this.account.claimState(prefix);
  }

  static async start(o: DaemonOptions): Promise<Daemon> {
    o.onProgress?.({ stage: 'store' });
    const pastFrames = new PastFrames(`${o.ghidcache}.frames`, (m) => o.logger.warn(m));
    const store = o.store ?? new FileStore(o.ghidcache, { lock: { role: 'app', configKey: 'process.ghidcache' }, warn: (m) => o.logger.warn(m) });
    const { engine, warnings } = await RulesEngine.open(recordingFrames(store, pastFrames), {
      warn: (m) => o.logger.debug(m),
      // The local cache reads 2016 accounts (GOBD v15) to bring them over; nothing here writes v15.
      acceptV15: true,
    });
    for (const w of warnings) o.logger.warn(w);
    let account: Account | null = null;
    let broughtOver: BroughtOver | null = null;
    const accountDir = o.journalDir ?? `${o.ghidcache}.account`;
    const network = await NetworkIO.open({
      engine,
      identity: () => account?.identity.publicIdentity.gidc ?? null,
      remotes: o.remotes,
      outboxDir: o.outboxDir ?? `${o.ghidcache}.outbox`,
      logger: o.logger,
      pastFrames,
      ...(o.reconnect ? { client: { backoff: o.reconnect } } : {}),
    });
    network.start();
    const device = o.device ?? `${hostname()}-${randomBytes(3).toString('hex')}`;
    try {
      if ('create' in o.account) {
        account = await Account.create({ io: network, device, ...o.account.create, onProgress: o.onProgress });
      } else {
        const l = o.account.login;
        const hasLocal = engine.exists(l.userId);
        o.logger.debug(`account ${l.userId.short}: ${hasLocal ? 'its root is held here' : 'its root is not held here; asking the remotes'}`);
        // A new machine: the account lives only on the remotes (defect 24). A recovery builds on
        // the account's newest root frame, which a cache here may be behind on (a kit or a password
        // made elsewhere since): it waits for the remotes too, and needs one.
        if ((!hasLocal || l.recoveryKey) && o.remotes.length > 0) {
          o.onProgress?.({ stage: 'remotes' });
          await network.whenConnected(o.remoteWaitMs ?? 10_000);
          const remotes = network.status();
          if (l.recoveryKey && !remotes.some((r) => r.connected)) {
            const failure = remotes.find((r) => r.lastFailure)?.lastFailure ?? null;
            throw new AccountUnreachable(l.userId, remotes.map((r) => r.label), failure, `A recovery needs the account as the remotes have it, and none could be reached (${remotes.map((r) => r.label).join(', ')})`);
          }
        }
        ({ account, broughtOver } = await openAccount(network, l, device, hasLocal).catch(async (err: unknown) => {
          // The root is here but an account object is not, and a remote is still connecting: a
          // sign-in on a new computer fetched the root moments ago and went on before the remotes
          // were connected. Wait for them once and open again; with every remote connected, a
          // missing object means the account really is damaged.
          if (!(err instanceof DamagedAccount) || network.status().every((r) => r.connected)) throw err;
          o.onProgress?.({ stage: 'remotes' });
          await network.whenConnected(o.remoteWaitMs ?? 10_000);
          return openAccount(network, l, device, hasLocal);
        }));
      }
      await account.openJournals(accountDir, (m) => o.logger.warn(m));
      // Opened with the password as it is now (or as this computer last knew it: root-watch.ts).
      await forgetPasswordChangedElsewhere(accountDir).catch((e: unknown) => o.logger.warn(`Could not remove the note of a password changed elsewhere: ${(e as Error).message}`));
    } catch (err) {
      await network.close();
      await engine.close();
      throw 'login' in o.account ? await whyNotOpened(err, accountDir) : err;
    }
    const objects = new ObjectManager(network, account.identity, new SecretStore(account.secrets, account.keptHere ?? undefined), { maxLive: o.maxLiveObjects });
    // Before the account's maps are merged with the remotes' (wire): a frame written here and not
    // taken by a remote yet may lose a race there, and its secret is then needed to write its
    // state again on top, after another computer's record has replaced ours.
    for (const { dynamic } of network.queuedDynamics()) objects.secrets.rememberCurrent(dynamic);
    const daemon = new Daemon(engine, network, account, objects, o.logger, broughtOver, accountDir, o.cacheCheck, o.networkChanges, o.registrationCheckMs);
    daemon.wire();
    return daemon;
  }

  private wire(): void {
    const { network, account, objects } = this;
    network.subscribe(account.fingerprint);
    // Caught up at once: another computer of the account may have changed them while this one was off.
    for (const g of account.internalObjects) network.subscribe(g, { catchUp: true });
    objects.on('evict', (g) => {
      if (!this.followed.has(g.text)) network.unsubscribe(g);
    });
    objects.on('update', (obj) => this.emit('update', obj));
    objects.on('delete', (g) => this.emit('delete', g));
    network.on('remote', (label, up) => {
      if (up) this.check.remoteConnected();
      this.emit('remote', label, up);
    });
    network.on('remote-retry', (label) => this.emit('remote-retry', label));
    network.on('free-tier', (label, usage) => {
      this.freeTierWatch.held();
      this.emit('free-tier', label, usage);
    });
    network.on('notification', (obj, subscribed) => void this.route(obj, subscribed));
    network.on('conflict', (dynamic, settle) => this.conflicts.raised(dynamic, settle));
    // Refused before this listened (the outboxes flush as soon as a remote connects): again now.
    network.resendParked();
    this.check.start();
    this.networkChanges?.start();
    // Publish our identity now for remotes already connected (reconnects do it themselves).
    void network.publish(account.identity.publicIdentity.gidc).catch(() => {});
  }

  private async route(obj: GolixObject, subscribed: Ghid): Promise<void> {
    try {
      const map = this.accountMap(subscribed);
      if (map) {
        if (obj.type === 'GOBD') await map.refresh(obj);
      } else if (subscribed.equals(this.userId)) {
        // A password changed, or a kit made, on another computer: stored here already; what it means, root-watch.ts.
        await this.rootWatch.moved(obj);
      } else if (subscribed.equals(this.account.manifest.identity.ghid)) {
        // The keys: stored here, which is all this computer needs of them. No app object: nothing to apply, nothing unreadable.
        this.logger.debug(`the account's keys ${subscribed.short} moved on (${obj.type} ${obj.ghid.short}); kept here`);
      } else if (subscribed.equals(this.fingerprint)) {
        // (A remote may push anything under our fingerprint: only a request to us is ours.)
        if (obj.type === 'GARQ' && obj.recipient.equals(this.fingerprint)) this.emit('request', obj);
      } else {
        await this.objects.receive(obj, subscribed);
        this.readAgain(subscribed);
      }
    } catch (err) {
      // (A container not here yet is no unreadable version: nobody need share it again.)
      if (noSecretReads(err)) this.reportUnreadable(subscribed);
      // A frame we have seen already (the catch-up of a followed object) is nothing to apply.
      const log = err instanceof IllegalDynamicFrame ? this.logger.debug : this.logger.warn;
      log.call(this.logger, `update for ${subscribed.short} not applied: ${(err as Error).message}`);
    }
  }

  private accountMap(ghid: Ghid): AccountMap | null {
    if (ghid.equals(this.account.manifest.secrets.ghid)) return this.account.secrets;
    if (ghid.equals(this.account.manifest.state.ghid)) return this.account.state;
    return null;
  }

  // ---------------------------------------------------------------- DaemonPort

  async create(apiId: ApiId, state: Buffer, opts: { dynamic?: boolean; legroom?: number } = {}): Promise<AppObject> {
    const obj = await this.objects.create(apiId, state, opts);
    if (obj.dynamic) this.network.subscribe(obj.ghid);
    return obj;
  }

  /** Opens an object and keeps it subscribed while it stays live. */
  async open(ghid: Ghid): Promise<AppObject> {
    const obj = await this.openReadable(ghid).catch((err: unknown) => {
      if (noSecretReads(err)) this.reportUnreadable(ghid);
      throw err;
    });
    this.readAgain(ghid);
    if (obj.dynamic) this.network.subscribe(ghid);
    return obj;
  }

  private reportUnreadable(ghid: Ghid): void {
    this.unreadable.add(ghid.text);
    this.emit('unreadable', ghid);
  }

  private readAgain(ghid: Ghid): void {
    if (this.unreadable.delete(ghid.text)) this.emit('readable', ghid);
  }

  /**
   * One of our objects that another computer of the account wrote past what this one knows
   * (this one wrote it offline meanwhile): the record that reads its frames is in the account's
   * secrets map on the remotes, and a start merges that map only once they answer, after an
   * app may already have asked. So the map is merged now and the open tried again, waiting
   * longer each time (RECORD_WAITS_MS) while a remote is connected, before the open fails.
   */
  private async openReadable(ghid: Ghid): Promise<AppObject> {
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.objects.open(ghid);
      } catch (err) {
        const ours = this.objects.secrets.dynamic(ghid)?.binder.equals(this.fingerprint) ?? false;
        const remotes = this.network.status();
        const online = remotes.some((r) => r.connected);
        // Found nowhere is not a matter of keys (deleted, or never uploaded): said so, with whether a remote could be asked.
        if (err instanceof ObjectNotFound) throw online || remotes.length === 0 ? err : new ObjectNotFound(ghid, `Object ${ghid.short} is not on this computer, and no server is connected to fetch it from`);
        if (!(err instanceof UnknownSecret) || !ours || this.stopping.signal.aborted) throw err;
        // Ours: no share from anyone opens it (the healing error says so), the account's secrets map does.
        if (!online || attempt > RECORD_WAITS_MS.length) throw new UnknownSecret(`${ghid.short} was written on another computer of this account past what this one has read; it opens once the account's keys reach this computer through ${online ? 'the server' : 'a server (none is connected now)'}`);
        if (attempt > 0) await sleep(RECORD_WAITS_MS[attempt - 1]!, undefined, { signal: this.stopping.signal });
        await this.account.secrets.refresh(undefined, this.network.remoteView()).catch(() => false);
      }
    }
  }

  /** An update of one of our objects; waits for the other computer's record, or a pause in its writes, in a race (RECORD_WAITS_MS). */
  async update(ghid: Ghid, state: Buffer, opts: { legroom?: number } = {}): Promise<AppObject> {
    // Not in memory (an app that had it open before a restart just pushes): opened as an app's
    // open is, which waits for the account's record of another computer's newer frames.
    if (!this.objects.isLive(ghid)) await this.open(ghid);
    for (let attempt = 0; ; attempt++) {
      try {
        return await this.objects.update(ghid, state, opts);
      } catch (err) {
        const online = this.network.status().some((r) => r.connected);
        const step = nextUpdateStep(err, attempt, { live: this.objects.isLive(ghid), online, stopping: this.stopping.signal.aborted });
        if (step === 'fail') throw err;
        if (step === 'over') return this.objects.update(ghid, state, { ...opts, overUnreadable: true });
        await sleep(step.waitMs, undefined, { signal: this.stopping.signal }).catch(() => {});
        if (step.refresh) await this.account.secrets.refresh(undefined, this.network.remoteView()).catch(() => false);
      }
    }
  }

  async freeze(ghid: Ghid): Promise<AppObject> {
    await this.openReadable(ghid);
    return this.objects.freeze(ghid);
  }

  hold(ghid: Ghid): Promise<void> {
    return this.objects.hold(ghid);
  }

  /** A dynamic object is debound; a static one through each of our own static bindings (GOBS). */
  async delete(ghid: Ghid): Promise<void> {
    const obj = await this.openReadable(ghid);
    const own = obj.dynamic
      ? []
      : this.engine.bindingsOf(ghid).filter((b) => {
          const e = this.engine.entry(b);
          return e?.type === 'GOBS' && e.signer === this.fingerprint.text;
        });
    await this.objects.delete(ghid, own);
    this.followed.delete(ghid.text);
    if (obj.dynamic) this.network.unsubscribe(ghid);
    this.emit('deleted-here', ghid);
  }

  follow(ghid: Ghid): void {
    this.followed.add(ghid.text);
    this.network.subscribe(ghid, { catchUp: true });
  }

  receive(obj: GolixObject, subscribed: Ghid): Promise<void> {
    return this.objects.receive(obj, subscribed);
  }

  isLive(ghid: Ghid): boolean {
    return this.objects.isLive(ghid);
  }

  pin(ghid: Ghid): void {
    this.objects.pin(ghid);
  }

  unpin(ghid: Ghid): void {
    this.objects.unpin(ghid);
  }

  async secretOf(ghid: Ghid): Promise<Secret | null> {
    const obj = await this.openReadable(ghid);
    const secrets = this.objects.secrets;
    return obj.dynamic ? (secrets.dynamic(ghid)?.secret ?? null) : secrets.static(ghid);
  }

  quarantine(target: Ghid, secret: Secret, from: Ghid): void {
    this.objects.secrets.quarantine(target, secret, from);
  }

  release(target: Ghid): void {
    this.objects.secrets.release(target);
  }

  /** A signed link to a remote's registration page for this account (remote-accounts.ts). */
  async registrationLink(remote?: string): Promise<string> {
    return registrationLinkFor(this.network, this.identity, remote);
  }

  /** What the daemon can tell of itself now: its remotes, its cache and the cache's storage. */
  status(): DaemonStatus {
    const passwordChangedElsewhereAt = this.rootWatch.passwordChangedElsewhereAt;
    return { remotes: this.network.status(), objectsCached: this.engine.stats().objects, storage: this.engine.storage(), cacheCheck: this.cacheCheck, passwordChangedElsewhereAt };
  }

  /** What the checks of the local copy found (status() without counting the cache). */
  get cacheCheck(): CacheCheckReport {
    return this.check.report();
  }

  checkCache(): Promise<CacheCheckReport> {
    return this.check.checkNow();
  }

  tryRemotes(): Promise<void> {
    // A person asking to connect may be looking at a link that died unseen: the connected ones are
    // pinged too; and may have just registered on a remote that holds uploads: it is asked.
    this.freeTierWatch.askIfHeld();
    return this.network.tryNow({ checkLinks: true });
  }

  /** What each remote says of this account (remote-accounts.ts). */
  remoteAccounts(): Promise<RemoteAccountView[]> {
    return remoteAccountsOf(this.network, this.fingerprint.text);
  }

  publish(obj: GolixObject): Promise<void> {
    return this.network.publish(obj);
  }

  fetch(ghid: Ghid, opts: { fresh?: boolean; keep?: boolean } = {}): Promise<GolixObject | null> {
    return this.network.fetch(ghid, opts);
  }

  settled(ghid: Ghid, timeoutMs = SETTLE_WAIT_MS): Promise<boolean> {
    return untilSettled(() => this.network.waiting(ghid), timeoutMs, this.stopping.signal);
  }

  get stopped(): AbortSignal {
    return this.stopping.signal;
  }

  async stop(): Promise<void> {
    this.stopping.abort();
    this.networkChanges?.stop();
    this.freeTierWatch.stop();
    // Before the account closes: a resolution records its frame's secret last (seen lost in
    // offline-writers-return with a restart just after a return).
    await this.conflicts.finished(STOP_RESOLUTIONS_WAIT_MS);
    // Written with the account's maps: what a conflict met after the next start needs to read
    // the remote's frame (SecretStore.rememberBase).
    for (const { dynamic, base } of this.network.queuedDynamics()) if (base) this.objects.secrets.rememberBase(dynamic, base);
    await this.account.close().catch((err) => this.logger.warn(`account flush at shutdown failed: ${(err as Error).message}`));
    await this.network.close();
    await this.engine.close();
  }
}
