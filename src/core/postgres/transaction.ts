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
import { isConflict } from './errors.js';
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

/** Runs `items` in order in one transaction on `session`; conflicts run it again, up to `maxAttempts`. */
export async function commitBatch(session: SqlSession, items: readonly BatchItem[], settings: RuleSettings, maxAttempts = 30): Promise<BatchResult> {
  for (let attempt = 1; ; attempt++) {
    try {
      return { ...(await attemptBatch(session, items, settings)), attempts: attempt };
    } catch (err) {
      await session.query('ROLLBACK').catch(() => {});
      if (!isConflict(err) || attempt >= maxAttempts) throw err;
      // Back off a little, more each time, with jitter: the other writer finishes meanwhile.
      await new Promise((r) => setTimeout(r, Math.random() * Math.min(50, 2 * attempt)));
    }
  }
}

async function attemptBatch(session: SqlSession, items: readonly BatchItem[], settings: RuleSettings): Promise<Omit<BatchResult, 'attempts'>> {
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
  await session.query('COMMIT');
  return { outcomes, inserted: writes.inserts.map((i) => i.entry), deleted: writes.deletes.length };
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
