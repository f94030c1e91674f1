/**
 * One batch of publishes as one SERIALIZABLE transaction: load what the batch could touch, run
 * the rules engine of src/core/rules over it (the one implementation of golix §9–§11, quotas and
 * GC), write what it stored and deleted, commit. Another node's conflicting write makes
 * PostgreSQL (or our own statements) abort the transaction, which then runs again from the
 * start, over what the other node committed. Nothing is reported stored before COMMIT returns.
 */
import { HypergolixError, parseObject, type GolixObject, Ghid } from '../golix/index.js';
import { entryOf, type Entry } from '../store/entry.js';
import type { IngestResult, Notification } from '../rules/persistence-engine.js';
import { RulesEngine, type RulesEngineOptions } from '../rules/rules-engine.js';
import { UsageLedger, type QuotaOptions, type Usage } from '../rules/usage.js';
import { isConflict, unavailableCode } from './errors.js';
import type { SqlSession } from './sql.js';
import { TransactionView, loadNeighbourhood, seedsOf } from './view.js';
import { applyWrites, readUsage } from './writes.js';

/** A publish whose parsing and signature check passed on this node. */
export interface BatchItem {
  obj: GolixObject;
}

export type Outcome = { ok: true; result: IngestResult } | { ok: false; error: HypergolixError };

export interface RuleSettings extends Pick<RulesEngineOptions, 'acceptV15' | 'maxObjectBytes' | 'maxChainDepth' | 'warn'> {
  quota: QuotaOptions | null;
}

export interface BatchResult {
  outcomes: Outcome[];
  /** Objects inserted and deleted, by type: the engine's counts follow them between refreshes. */
  inserted: Entry[];
  deleted: number;
  /** How many times the transaction ran (1 without conflicts). */
  attempts: number;
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
  const view = new TransactionView(await loadNeighbourhood(session, entries.flatMap(seedsOf)));
  const signers = new Set<string>();
  for (const e of [...view.loaded(), ...entries]) if (e.signer !== undefined) signers.add(e.signer);
  const before = await readUsage(session, [...signers]);
  const ledger = new UsageLedger(settings.quota ?? {});
  for (const [id, u] of before) ledger.seed(id, u);
  const { engine } = await RulesEngine.open(view, { ...settings, ledger });
  if (view.unexpectedWrites > 0) settings.warn?.(`postgres: the rules wanted ${view.unexpectedWrites} repair(s) in a loaded neighbourhood; ignored`);
  view.arm();

  const outcomes: Outcome[] = [];
  for (const item of items) {
    try {
      const [result] = await engine.ingestBatch([item.obj.raw], { signedHere: true });
      outcomes.push({ ok: true, result: result! });
    } catch (error) {
      if (!(error instanceof HypergolixError)) throw error;
      outcomes.push({ ok: false, error });
    }
  }
  releaseWaitingFrames(view, engine, outcomes);

  const usage = new Map<string, Usage>();
  for (const id of signers) {
    const now = ledger.of(id);
    const was = before.get(id) ?? { bytes: 0, objects: 0 };
    if (now.bytes !== was.bytes || now.objects !== was.objects) usage.set(id, now);
  }
  const writes = view.writes();
  await applyWrites(session, { ...writes, usage });
  const result = { outcomes, inserted: writes.inserts.map((i) => i.entry), deleted: writes.deletes.length, attempts: 1 };
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
 * A frame stored before its container waits to be announced until the container is stored
 * (rules-engine.ts holds it in memory). Here the frame may have come through another node, or
 * another transaction: when a container is stored, its frames already in the database are
 * announced with it, unless the rules engine announced them itself.
 */
function releaseWaitingFrames(view: TransactionView, engine: RulesEngine, outcomes: Outcome[]): void {
  for (const o of outcomes) {
    if (!o.ok || !o.result.stored || o.result.object.type !== 'GEOC') continue;
    const container = o.result.object.ghid.text;
    for (const dynamic of engine.bindingsOf(o.result.object.ghid)) {
      const frame = engine.currentFrame(dynamic);
      if (!frame || frame.target !== container || !view.wasStored(frame.ghid)) continue;
      if (o.result.notifications.some((n: Notification) => n.subscribed.text === dynamic.text)) continue;
      const raw = view.rawOf(frame.ghid);
      if (raw) o.result.notifications.push({ subscribed: Ghid.fromText(dynamic.text), object: parseObject(raw) });
    }
  }
}
