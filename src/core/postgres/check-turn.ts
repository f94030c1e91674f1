/**
 * A server node's turn to check the database it shares with others (remote/store-check.ts): one
 * node at a time (an advisory lock, held by a connection of its own for the check's length and
 * gone with it if the node dies), and a scheduled check skipped when any node ended a whole one
 * within most of the period (`store_check`), so that N nodes do not read the store N times a day.
 * Objects come a page at a time, by keyset, so a store of millions is never listed in memory.
 */
import type { CheckTurnOptions, CheckTurnRefused, StoreCheckTurn, WholeCheck } from '../rules/persistence-engine.js';
import { HypergolixError } from '../golix/index.js';
import { unavailableCode } from './errors.js';
import type { SqlClient, SqlListener } from './sql.js';

/** Any number: the key of the advisory lock a check holds (migrations use another). */
const CHECK_LOCK = 0x48475832;
/** Objects read from the database at a time. */
const PAGE = 1_000;
/** A scheduled check is not needed when another ended within this share of its period. */
const RECENT_SHARE = 0.9;

export async function takeCheckTurn(connect: () => Promise<SqlListener>, total: number, o: CheckTurnOptions): Promise<StoreCheckTurn | CheckTurnRefused> {
  const client = await connect();
  // A lost connection fails the next query, which ends the check with why.
  client.on('error', () => {});
  await client.connect();
  let turn: StoreCheckTurn | null = null;
  try {
    const { rows } = await client.query<{ got: boolean }>('SELECT pg_try_advisory_lock($1) AS got', [CHECK_LOCK]);
    const last = await lastWhole(client);
    if (!rows[0]!.got) return refused('another server node is checking this database now', last);
    if (o.scheduledEveryMs !== undefined && last && Date.now() - Date.parse(last.finishedAt) < o.scheduledEveryMs * RECENT_SHARE) {
      return refused(`this database was checked whole at ${last.finishedAt}`, last);
    }
    turn = {
      total,
      pages: () => pages(client),
      async end(whole) {
        try {
          if (whole !== null) {
            await client.query(
              `INSERT INTO store_check (id, started_at, finished_at, checked) VALUES (1, $1, $2, $3)
               ON CONFLICT (id) DO UPDATE SET started_at = EXCLUDED.started_at, finished_at = EXCLUDED.finished_at, checked = EXCLUDED.checked`,
              [whole.startedAt, whole.finishedAt, whole.checked],
            );
          }
        } finally {
          // The session ends, and the lock with it.
          await client.end().catch(() => {});
        }
      },
    };
    return turn;
  } finally {
    if (turn === null) await client.end().catch(() => {});
  }
}

function refused(why: string, last: WholeCheck | null): CheckTurnRefused {
  return { refused: why, ...(last && { lastWhole: last }) };
}

async function lastWhole(client: SqlClient): Promise<WholeCheck | null> {
  const { rows } = await client.query<{ started_at: Date; finished_at: Date; checked: string }>('SELECT started_at, finished_at, checked FROM store_check WHERE id = 1');
  const r = rows[0];
  return r ? { startedAt: r.started_at.toISOString(), finishedAt: r.finished_at.toISOString(), checked: Number(r.checked) } : null;
}

/** Every object, identities first (they verify the others), a frame by its dynamic GHID; those marked damaged too, which the check reads again past the mark. */
async function* pages(client: SqlClient): AsyncIterable<string[]> {
  for (const identities of [true, false]) {
    let after = '';
    for (;;) {
      const { rows } = await client
        .query<{ ghid: string; name: string }>("SELECT ghid, coalesce(dynamic, ghid) AS name FROM objects WHERE (type = 'GIDC') = $1 AND ghid > $2 ORDER BY ghid LIMIT $3", [identities, after, PAGE])
        .catch((err: unknown) => {
          const code = unavailableCode(err);
          // Its lock went with the connection: the next check, here or on another node, starts over.
          throw new HypergolixError(code ? `the database was lost during the check (${code})` : `the database could not be read: ${(err as Error).message}`, { cause: err });
        });
      if (rows.length > 0) yield rows.map((r) => r.name);
      if (rows.length < PAGE) break;
      after = rows.at(-1)!.ghid;
    }
  }
}
