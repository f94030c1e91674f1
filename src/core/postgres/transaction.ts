/**
 * One batch of publishes as one SERIALIZABLE transaction: load what the batch could touch, run
 * the rules engine of src/core/rules over it (the one implementation of golix §9–§11, quotas and
 * GC), write what it stored and deleted, commit. Another node's conflicting write makes
 * PostgreSQL (or our own statements) abort the transaction, which then runs again from the
 * start, over what the other node committed. Nothing is reported stored before COMMIT returns.
 */
import { HypergolixError, parseObject, type GolixObject, Ghid } from '../golix/index.js';
import { entryOf, type Entry } from '../store/entry.js';
import type { IngestResult } from '../rules/persistence-engine.js';
import { RulesEngine, type RulesEngineOptions } from '../rules/rules-engine.js';
import { UsageLedger, type QuotaOptions, type Usage } from '../rules/usage.js';
import { isConflict, unavailableCode } from './errors.js';
import type { Logger } from '../log/index.js';
import type { SqlClient, SqlSession } from './sql.js';
import { TransactionView, loadNeighbourhood, seedsOf } from './view.js';
import { UPLOADED_ELSEWHERE } from './waiting-uploaders.js';
import { applyWrites, readUsage } from './writes.js';

/** A publish whose parsing and signature check passed on this node. */
export interface BatchItem {
  obj: GolixObject;
  /** Who uploads it (IngestHooks.origin): the notifications it releases, or that release it later, carry it. */
  origin?: unknown;
}

export type Outcome = { ok: true; result: IngestResult } | { ok: false; error: HypergolixError };

export interface RuleSettings extends Pick<RulesEngineOptions, 'acceptV15' | 'maxObjectBytes' | 'maxChainDepth' | 'warn'> {
  quota: QuotaOptions | null;
  /**
   * Who uploaded a frame stored in an earlier transaction whose announcement waited (this
   * node's WaitingUploaders); undefined when this node does not know (another node stored it).
   */
  uploaderOf?: (frame: string) => unknown;
}

export interface BatchResult {
  outcomes: Outcome[];
  /** Objects inserted and deleted, by type: the engine's counts follow them between refreshes. */
  inserted: Entry[];
  deleted: number;
  /** How many times the transaction ran (1 without conflicts). */
  attempts: number;
  /** Stored objects found damaged that the batch brought again (view.ts healEntries): to be marked, and put right by their publish. */
  damagedCopies: string[];
}

/**
 * COMMIT's connection failed: the database may have committed the batch or not. It carries what
 * the batch did, for the caller to look at the database again and tell.
 */
export class CommitOutcomeUnknown extends Error {
  constructor(
    override readonly cause: unknown,
    readonly result: BatchResult,
  ) {
    super(`The connection failed at COMMIT: ${cause instanceof Error ? cause.message : String(cause)}`);
    this.name = 'CommitOutcomeUnknown';
  }
}

/** Errors after which the session must not go back to the pool: its ROLLBACK failed, so it may still be inside the transaction. */
const spoiled = new WeakSet<object>();

/** Whether the session that threw `err` is left unusable (discard it: `release(true)`). */
export function leavesSessionUnusable(err: unknown): boolean {
  return err instanceof CommitOutcomeUnknown || unavailableCode(err) !== null || (typeof err === 'object' && err !== null && spoiled.has(err));
}

/** Runs `items` in order in one transaction on `session`; conflicts run it again, up to `maxAttempts`. */
export async function commitBatch(session: SqlSession, items: readonly BatchItem[], settings: RuleSettings, maxAttempts = 30): Promise<BatchResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { ...(await attemptBatch(session, items, settings)), attempts: attempt };
    } catch (err) {
      if (err instanceof CommitOutcomeUnknown) throw new CommitOutcomeUnknown(err.cause, { ...err.result, attempts: attempt });
      const rolledBack = await session.query('ROLLBACK').then(
        () => true,
        () => false,
      );
      if (!rolledBack && typeof err === 'object' && err !== null) spoiled.add(err);
      if (!rolledBack || !isConflict(err) || attempt >= maxAttempts) throw err;
      // Back off a little, more each time, with jitter: the other writer finishes meanwhile.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 * attempt)));
    }
  }
}

async function attemptBatch(session: SqlSession, items: readonly BatchItem[], settings: RuleSettings): Promise<BatchResult> {
  await session.query('BEGIN ISOLATION LEVEL SERIALIZABLE');
  const entries = items.map((i) => entryOf(i.obj));
  const rows = await loadNeighbourhood(session, entries.flatMap(seedsOf), items.map((i) => i.obj));
  const damagedCopies = rows.filter((r) => r.copyDamaged).map((r) => r.ghid);
  const view = new TransactionView(rows);
  const signers = new Set<string>();
  for (const e of [...view.loaded(), ...entries]) if (e.signer !== undefined) signers.add(e.signer);
  const before = await readUsage(session, [...signers]);
  const ledger = new UsageLedger(settings.quota ?? {});
  for (const [id, u] of before) ledger.seed(id, u);
  const { uploaderOf, ...rules } = settings;
  // Before the batch writes: a dynamic GHID without a frame yet holds back frames that target it.
  const framed = new Set(view.loaded().flatMap((e) => (e.type === 'GOBD' ? [e.dynamic!] : [])));
  const { engine } = await RulesEngine.open(view, { ...rules, ledger });
  if (view.unexpectedWrites > 0) settings.warn?.(`postgres: the rules wanted ${view.unexpectedWrites} repair(s) in a loaded neighbourhood; ignored`);
  view.arm();

  const outcomes: Outcome[] = [];
  for (const item of items) {
    try {
      const [result] = await engine.ingestBatch([item.obj.raw], { signedHere: true, ...(item.origin !== undefined && { origin: item.origin }) });
      outcomes.push({ ok: true, result: result! });
    } catch (error) {
      if (!(error instanceof HypergolixError)) throw error;
      outcomes.push({ ok: false, error });
    }
  }
  releaseWaitingFrames(view, engine, outcomes, framed, uploaderOf ?? (() => undefined));

  const usage = new Map<string, Usage>();
  for (const id of signers) {
    const now = ledger.of(id);
    const was = before.get(id) ?? { bytes: 0, objects: 0 };
    if (now.bytes !== was.bytes || now.objects !== was.objects) usage.set(id, now);
  }
  const writes = view.writes();
  await applyWrites(session, { ...writes, usage });
  const result = { outcomes, inserted: writes.inserts.map((i) => i.entry), deleted: writes.deletes.length, attempts: 1, damagedCopies };
  try {
    await session.query('COMMIT');
  } catch (err) {
    // A refusal (a serialization failure) rolled it back; a lost connection leaves it unknown.
    if (unavailableCode(err) !== null) throw new CommitOutcomeUnknown(err, result);
    throw err;
  }
  return result;
}

/**
 * A frame stored before its target waits to be announced until the target is stored: a
 * container, or a dynamic GHID's first frame (rules-engine.ts holds it in memory, as
 * held-frames.ts describes). Here the frame may have come through another node, or another
 * transaction: when its target is stored, the frames already in the database that wait for it
 * are announced with it, unless the rules engine announced them itself. Each carries its
 * uploader as `origin` — this node's record of it, or UPLOADED_ELSEWHERE, so that the target's
 * publisher is not taken for the frame's uploader and left out (subscriptions.ts `fanOut`).
 */
function releaseWaitingFrames(view: TransactionView, engine: RulesEngine, outcomes: Outcome[], framed: Set<string>, uploaderOf: (frame: string) => unknown): void {
  const announced = new Set<string>();
  for (const o of outcomes) if (o.ok) for (const n of o.result.notifications) announced.add(n.object.ghid.text);
  for (const o of outcomes) {
    if (!o.ok || !o.result.stored) continue;
    const obj = o.result.object;
    const targets = [obj.ghid.text];
    if (obj.type === 'GOBD' && !framed.has(obj.dynamic.text)) {
      framed.add(obj.dynamic.text);
      targets.push(obj.dynamic.text);
    }
    for (const target of targets) {
      for (const dynamic of engine.bindingsOf(Ghid.fromText(target))) {
        const frame = engine.currentFrame(dynamic);
        if (!frame || frame.target !== target || !view.wasStored(frame.ghid) || announced.has(frame.ghid)) continue;
        const raw = view.rawOf(frame.ghid);
        if (!raw) continue;
        announced.add(frame.ghid);
        o.result.notifications.push({ subscribed: Ghid.fromText(dynamic.text), object: parseObject(raw), origin: uploaderOf(frame.ghid) ?? UPLOADED_ELSEWHERE });
      }
    }
  }
}

/**
 * Whether a batch whose COMMIT lost its connection was committed: its first object is in the
 * database (a transaction commits whole). Answered so, its publishers are told it is stored and
 * its subscribers hear of it; refused, a publisher would send it again and hear only "already
 * stored", and nobody would be told. Unknown while the database is out of reach: refused.
 */
export async function committedAfterAll(db: SqlClient, result: BatchResult, log: Logger): Promise<boolean> {
  const first = result.inserted[0];
  if (!first) return false;
  try {
    const { rows } = await db.query<{ n: string }>('SELECT count(*) AS n FROM objects WHERE ghid = $1', [first.ghid]);
    const committed = Number(rows[0]?.n ?? 0) > 0;
    log.warn(`postgres: the connection failed at COMMIT; the batch was ${committed ? '' : 'not '}committed`);
    return committed;
  } catch {
    log.warn('postgres: the connection failed at COMMIT, and whether the batch was committed cannot be read now; its publishers will send it again');
    return false;
  }
}
