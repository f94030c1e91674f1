import { EventEmitter } from 'node:events';
import { CommsError, DoesNotExist, Ghid, type GolixObject } from '../golix/index.js';
import type { ObjectIO } from '../objects/object-io.js';
import { RemoteClient, type RemoteClientOptions } from '../remote/client.js';
import type { RemoteSpec, RemoteStatus } from './remote-status.js';
import type { RemoteLogger } from '../remote/logger.js';
import type { RulesEngine } from '../rules/rules-engine.js';
import { asStorageRefusal, storageRefusal } from '../remote/storage-refusal.js';
import { Inbound, getFrom } from './inbound.js';
import { Outbox } from './outbox.js';
import { lowest } from './frame-facts.js';
import { RemoteLane } from './remote-lane.js';
import { CopyMender, DAMAGED_WAIT_MS, readLocalCopy, type DamagedCopy } from './local-copy.js';
import { newestOf } from './newest-answer.js';
import { RemoteBackfill, type BackfillHost, type BackfillReport } from './remote-backfill.js';
import type { NetworkIOEvents } from './network-events.js';

export interface NetworkIOOptions {
  engine: RulesEngine;
  /** Our own GIDC, published first on every (re)connect. */
  identity: () => GolixObject | null;
  remotes: RemoteSpec[];
  outboxDir: string;
  logger: RemoteLogger;
  client?: Partial<RemoteClientOptions>;
  /** The frames once current here, for the checks of the remotes (RemoteBackfill). */
  pastFrames?: BackfillHost['pastFrames'];
}

/**
 * The daemon's ObjectIO: the local validated cache first, then every configured remote
 * (hypergolix-reference §3.6, with defects 21–23 fixed). Publishes go to the local engine, then
 * into each remote's durable outbox, flushed in order whenever that remote is connected (one
 * RemoteLane each: remote-lane.ts, with what its refusals mean). On every
 * (re)connect: publish our GIDC, resubscribe, flush the outbox, then fetch the current frame of
 * every subscribed dynamic GHID so nothing published while we were away is missed.
 */
export class NetworkIO extends EventEmitter<NetworkIOEvents> implements ObjectIO {
  private readonly remotes: RemoteLane[] = [];
  private readonly subscriptions = new Set<string>();
  /** Frames of ours the next publish queues to be settled first (settleFirst). */
  private readonly toSettleFirst = new Set<string>();
  private closed = false;
  /** What the remotes push to us (and what we fetch from them) into the local cache. */
  private readonly inbound: Inbound;
  private readonly mender: CopyMender;
  private readonly backfill: RemoteBackfill;

  private constructor(private readonly o: NetworkIOOptions) {
    super();
    this.inbound = new Inbound({
      engine: o.engine,
      logger: o.logger,
      fetch: (ghid) => this.fetch(ghid),
      fromRemotes: async (ghid) => (await this.eachRemote(ghid))[0] ?? null,
      bindingsOf: (ghid) => this.bindingsOf(ghid),
      notify: (obj, subscribed) => this.emit('notification', obj, subscribed),
      conflict: (dynamic) => this.emit('conflict', dynamic, () => {}),
      waiting: (dynamic) => this.waiting(dynamic),
    });
    this.mender = new CopyMender({ ...o, take: (obj) => this.inbound.storeFetched(obj) });
    this.backfill = new RemoteBackfill(o);
  }

  static async open(o: NetworkIOOptions): Promise<NetworkIO> {
    const io = new NetworkIO(o);
    for (const spec of o.remotes) {
      const label = `${spec.host}:${spec.port}`;
      const client = new RemoteClient({ ...o.client, host: spec.host, port: spec.port, tls: spec.tls, logger: o.logger });
      const outbox = await Outbox.open(o.outboxDir, label);
      const remote = new RemoteLane(label, client, outbox, {
        engine: o.engine,
        logger: o.logger,
        closed: () => io.closed,
        afterSend: () => io.catchUpRaces(),
        storageChanged: (l, storage) => io.emit('remoteStorage', l, storage),
        freeTierUsedUp: (l, usage) => io.emit('free-tier', l, usage),
        conflict: (dynamic, settle) => io.emit('conflict', dynamic, settle),
      });
      client.on('connected', () => void io.onConnected(remote));
      client.on('disconnected', () => io.emit('remote', label, false)).on('retry-scheduled', () => io.emit('remote-retry', label));
      client.on('notification', (subscribed, raw) => io.inbound.onPush(client, subscribed, raw));
      io.remotes.push(remote);
    }
    return io;
  }

  get engine(): RulesEngine {
    return this.o.engine;
  }

  /** Starts connecting to every remote (they keep reconnecting until close()). */
  start(): void {
    for (const r of this.remotes) r.client.start();
  }

  status(): RemoteStatus[] {
    return this.remotes.map((r) => r.status());
  }

  /** A configured remote by its label (`host:port`), or the first one when none is named. */
  remoteSpec(label?: string): (RemoteSpec & { label: string }) | null {
    const specs = this.o.remotes.map((spec) => ({ ...spec, label: `${spec.host}:${spec.port}` }));
    return (label === undefined ? specs[0] : specs.find((s) => s.label === label)) ?? null;
  }

  /**
   * The dynamic objects with a frame of ours still waiting in an outbox (not taken by a remote
   * yet), each with the container the oldest such frame was written on (null: a first frame).
   */
  queuedDynamics(): { dynamic: Ghid; base: Ghid | null }[] {
    const dynamics = new Set(this.remotes.flatMap((r) => r.outbox.oldestFrames().map((f) => f.dynamic)));
    return [...dynamics].map((d) => ({ dynamic: Ghid.fromText(d), base: this.oldestBase(d) }));
  }

  waiting(dynamic: Ghid): boolean {
    return this.remotes.some((r) => r.client.connected && r.outbox.oldestFrame(dynamic.text) !== null);
  }

  /**
   * The version a remote's chain of `dynamic` goes through, for a frame of ours about to be
   * written on `writtenOn`: the one the oldest of our frames still waiting was written on (null:
   * none waits, or that frame is the object's first), else `writtenOn` itself when a remote is
   * out of reach (the frame will wait), else null (it goes at once). SecretStore keeps its secret
   * in the object's record, for a conflict met after a crash or a restart.
   */
  chainBase(dynamic: Ghid, writtenOn: Ghid): Ghid | null {
    const waiting = this.remotes.some((r) => r.outbox.oldestFrame(dynamic.text));
    if (waiting) return this.oldestBase(dynamic.text);
    return this.remotes.some((r) => !r.client.connected) ? writtenOn : null;
  }

  /** A frame of ours about to be published that each remote settles as a conflict before it is sent (Outbox.add). */
  settleFirst(frame: Ghid): void {
    this.toSettleFirst.add(frame.text);
  }

  private oldestBase(dynamic: string): Ghid | null {
    const previous = lowest(this.remotes.flatMap((r) => r.outbox.oldestFrame(dynamic) ?? []))?.previous;
    return previous ? Ghid.fromText(previous) : null;
  }

  /**
   * Sends again the frames held for a conflict not being resolved, their refusals raising it again:
   * for conflicts raised before anyone listened (a start flushes the outboxes once a remote connects).
   */
  resendParked(): void {
    for (const r of this.remotes) r.holds.retryIdle();
  }

  /** Sends what a remote refused until registration again (after registering there). */
  retryUploads(label: string): void {
    for (const r of this.remotes.filter((x) => x.label === label)) void r.retryUploads();
  }

  /** Until every remote is connected, has refused the connection (nothing listening, no such host), or `timeoutMs` passed. */
  async whenConnected(timeoutMs: number): Promise<void> {
    await Promise.allSettled(this.remotes.map((r) => r.client.whenConnected(timeoutMs, { untilRefused: true })));
  }

  /** Tries each remote not connected at once, its back-off starting over (RemoteClient.tryNow); with `checkLinks` (the network changed, or a person asked), pings each connected one too (checkLink). Resolves as those end. */
  async tryNow(o: { checkLinks?: boolean } = {}): Promise<void> {
    await Promise.all(this.remotes.map((r) => (o.checkLinks ? r.client.checkLink() : r.client.tryNow())));
  }

  // ---- ObjectIO

  /** Our own objects, made and signed in this process (see RulesEngine.ingest's `signedHere`). */
  async publish(...objects: GolixObject[]): Promise<void> {
    const entries = objects.map((o) => ({ ghid: o.ghid.text, raw: o.raw }));
    const ghids = entries.map((e) => e.ghid);
    // The local store's write and the outboxes' run side by side (two durable writes, one wait),
    // the outboxes holding the objects unsent until the local store has them: what is not stored
    // here is never sent from here, and is taken back out of the outboxes.
    const settleFirst = ghids.filter((g) => this.toSettleFirst.delete(g));
    const queued = Promise.all(this.remotes.map((r) => r.outbox.add(entries, { hold: true, settleFirst })));
    queued.catch(() => {});
    try {
      await this.ingestLocal(objects);
    } catch (err) {
      await queued.catch(() => {});
      await Promise.all(this.remotes.map((r) => r.outbox.withdraw(ghids).catch(() => {})));
      throw err;
    }
    // Sending starts now; the caller's acknowledgement also waits for the outboxes to be durable.
    for (const r of this.remotes) {
      r.outbox.release(ghids);
      void r.flush();
    }
    await queued;
  }

  /** `keep: false` returns what a remote holds without storing it here (checked to be that object, not verified). */
  async fetch(ghid: Ghid, opts: { fresh?: boolean; keep?: boolean } = {}): Promise<GolixObject | null> {
    const here = await readLocalCopy(this.o.engine, ghid);
    const local = here.kind === 'ok' ? here.obj : null;
    if (local && !(opts.fresh && local.type === 'GOBD')) return local;
    if (here.kind === 'damaged') {
      if (!this.remotes.some((r) => r.client.connected)) await this.whenConnected(DAMAGED_WAIT_MS);
      return this.mend(ghid, here, opts.keep !== false);
    }
    const best = await newestOf(ghid, local, this.remotes.map((r) => r.client));
    // A frame whose container cannot be had is still the answer, unstored (Inbound.storeFetched).
    return best && best !== local && opts.keep !== false ? this.inbound.storeFetched(best) : best;
  }

  /** A copy here found damaged (local-copy.ts) answered with the remotes' newest, which puts it right unless `keep` is false. */
  async mend(ghid: Ghid, copy: DamagedCopy, keep = true): Promise<GolixObject> {
    return this.mender.answer(ghid, copy, await newestOf(ghid, null, this.remotes.map((r) => r.client)), keep);
  }

  /** The daily check of what each connected remote holds of ours (RemoteBackfill.audit), after the check of the local copy. */
  auditRemotes(): Promise<BackfillReport[]> {
    const me = this.o.identity()?.ghid.text;
    const connected = this.remotes.filter((r) => r.client.connected);
    return me ? Promise.all(connected.map((r) => this.backfill.audit(r.client, r.label, me, (g) => r.outbox.oldestFrame(g.text) !== null, this.subscriptions))) : Promise.resolve([]);
  }

  /** `ghid` as each connected remote that has it holds it (checked to be that object), in the configured order; not stored here. */
  async eachRemote(ghid: Ghid): Promise<GolixObject[]> {
    const held = await Promise.all(this.remotes.map((r) => (r.client.connected ? getFrom(r.client, ghid) : null)));
    return held.filter((o) => o !== null);
  }

  /**
   * What binds `ghid` (GOBS GHIDs, dynamic GHIDs) here and on every connected remote, each once:
   * how an account made elsewhere is found from what points to it (legacy/bring-over.ts).
   */
  async bindingsOf(ghid: Ghid): Promise<Ghid[]> {
    const answers = await Promise.allSettled(this.remotes.filter((r) => r.client.connected).map((r) => r.client.bindings(ghid)));
    const all = [...this.o.engine.bindingsOf(ghid), ...answers.flatMap((a) => (a.status === 'fulfilled' ? a.value : []))];
    return [...new Map(all.map((g) => [g.text, g])).values()];
  }

  /**
   * A read-only view of what the remotes hold, bypassing the local cache: used to read a frame
   * that lost a counter race (the local cache keeps its own frame) in order to merge with it.
   * Other objects (containers) fall back to the local cache; frames do not: our own frame is not
   * the remote's.
   */
  remoteView(): ObjectIO {
    return {
      publish: async () => {
        throw new CommsError('remoteView is read-only');
      },
      fetch: async (ghid: Ghid) => {
        const [remote] = await this.eachRemote(ghid);
        if (remote) return remote;
        const here = await readLocalCopy(this.o.engine, ghid);
        return here.kind === 'ok' && here.obj.type !== 'GOBD' ? here.obj : null;
      },
    };
  }

  // ---- subscriptions

  /**
   * Asks the remotes to push what changes `ghid`. With `catchUp`, the remotes connected now are
   * also asked for what they hold already, as a reconnect asks for every subscription: what
   * changed while this computer was off is otherwise heard only with the next change. (A daemon
   * subscribes to its account's maps after opening the account, by when its remotes are usually
   * connected, and their reconnect catch-up has passed.)
   */
  subscribe(ghid: Ghid, o: { catchUp?: boolean } = {}): void {
    const known = this.subscriptions.has(ghid.text);
    this.subscriptions.add(ghid.text);
    for (const r of this.remotes.filter((x) => x.client.connected)) {
      if (!known) void r.client.subscribe(ghid).then(() => (o.catchUp ? this.catchUp(r, ghid) : undefined), () => {});
      else if (o.catchUp) void this.catchUp(r, ghid);
    }
  }

  /**
   * What one remote holds of `ghid` now, taken in as if pushed. Never rejects. An object deleted
   * while we were away: its debinding, which deletes it here too (checked to be its author's).
   */
  private async catchUp(r: RemoteLane, ghid: Ghid): Promise<void> {
    const c = r.client;
    let [raws, theirs]: [Buffer[], Buffer | null] = [[], null];
    try {
      raws = [(theirs = await c.get(ghid))];
    } catch (err) {
      if (!(err instanceof DoesNotExist) || !this.o.engine.exists(ghid)) return;
      const debindings = await c.debindings(ghid).catch(() => []);
      raws = (await Promise.all(debindings.map((d) => getFrom(c, d)))).flatMap((o) => (o?.type === 'GDXX' ? [o.raw] : []));
    }
    for (const raw of raws) await this.inbound.onPush(c, ghid, raw).catch(() => {});
    // What it lacks (and saw no deletion of) or holds older is sent again, beside the catch-up (remote-backfill.ts).
    if ((theirs || raws.length === 0) && this.o.engine.exists(ghid)) void this.backfill.caughtUp(c, r.label, ghid, theirs, (g) => r.outbox.oldestFrame(g.text) !== null);
  }

  /** What the remotes hold now of objects whose racing frames were left out while ours waited (Inbound.racesOver). */
  private catchUpRaces(): void {
    for (const dynamic of this.inbound.racesOver()) {
      for (const r of this.remotes) if (r.client.connected && this.subscriptions.has(dynamic.text)) void this.catchUp(r, dynamic);
    }
  }

  unsubscribe(ghid: Ghid): void {
    if (!this.subscriptions.delete(ghid.text)) return;
    for (const r of this.remotes) if (r.client.connected) r.client.unsubscribe(ghid).catch(() => {});
  }

  // ---- internals

  /**
   * Our own objects into the local cache. A cache that cannot take writes (a full disk) refuses
   * with StorageFull — the typed error an app gets through the SDK — and what `publish` held in
   * the outboxes is taken back unsent: what was not stored here is not acknowledged.
   */
  private async ingestLocal(objects: GolixObject[]): Promise<void> {
    const state = this.o.engine.storage();
    if (state.kind !== 'ok') throw storageRefusal(state, 'local');
    try {
      await this.mender.withOwnIdentity(() => this.o.engine.ingestBatch(objects.map((o) => o.raw), { signedHere: true }), this.o.identity());
    } catch (err) {
      throw asStorageRefusal(err, this.o.engine.storage(), 'local');
    }
  }

  private async onConnected(r: RemoteLane): Promise<void> {
    const c = r.client;
    this.backfill.reconnected(c);
    try {
      const me = this.o.identity();
      if (me) await c.publish(me.raw);
      for (const s of this.subscriptions) await c.subscribe(Ghid.fromText(s));
      // A new connection asks again: we may have registered meanwhile.
      r.forgetFreeTier();
      this.emit('remote', r.label, true);
      // Conflicts that failed to settle (the link went down meanwhile) are raised again.
      r.holds.retryIdle();
      await r.flush();
      // Frames published while we were away were never pushed to us (defect 22).
      for (const s of this.subscriptions) await this.catchUp(r, Ghid.fromText(s));
    } catch (err) {
      this.o.logger.warn(`remote ${r.label}: resynchronization interrupted: ${(err as Error).message}`);
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.inbound.close();
    await Promise.all(this.remotes.map((r) => r.close()));
    await Promise.allSettled(this.remotes.map((r) => r.client.close()));
    await Promise.all(this.remotes.map((r) => r.outbox.close()));
  }
}
