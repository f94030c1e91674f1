// A damaged copy on a database shared by two server nodes, found by the check of the node the
// computer is not connected to, is given again by the computer's own daily check through the
// other node, and put right for both (core/postgres/damage.ts, daemon/remote-backfill.ts). Real
// daemon, two real servers on a real PostgreSQL, real signatures.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { API_ID_RAW } from '../../src/core/objects/hgxd.js';
import { openPool } from '../../src/core/postgres/connect.js';
import { PostgresEngine } from '../../src/core/postgres/engine.js';
import { PersistenceServer } from '../../src/core/remote/server.js';
import { AccountDaemons, synced } from '../fixtures/daemon/account-daemons.js';
import { tempHome, until } from '../fixtures/ipc/world.js';
import { POSTGRES_SKIP, startPostgres } from '../fixtures/postgres.js';

test("a copy damaged in the database, found by the other node's check, is given again by the computer's check and put right for every node", { skip: POSTGRES_SKIP }, async (t) => {
  const cluster = startPostgres();
  const url = await cluster.database();
  const nodes: { engine: PostgresEngine; server: PersistenceServer; port: number }[] = [];
  for (let i = 0; i < 2; i++) {
    const { engine } = await PostgresEngine.open({ url });
    const server = new PersistenceServer({ engine, host: '127.0.0.1', port: 0, storeCheck: false });
    const { port } = await server.listen();
    await server.whenReady();
    nodes.push({ engine, server, port });
  }
  const [a, b] = nodes as [(typeof nodes)[0], (typeof nodes)[0]];
  const sql = await openPool({ url, poolSize: 1 });
  sql.on('error', () => {});
  // Added first, so run last (node:test runs a test's after hooks in the order they were added).
  t.after(async () => {
    for (const n of nodes) {
      await n.server.close();
      await n.engine.close();
    }
    await sql.end();
    cluster.destroy();
  });
  const daemons = new AccountDaemons(t);
  const computer = await daemons.start(await tempHome('hgx-pg-check-'), a.port, { create: 'a password 1' });
  // A static object: nothing follows it, so only the daily check asks a server about it.
  const frozen = await computer.create(API_ID_RAW, Buffer.from('a static object nobody follows'), { dynamic: false });
  await computer.account.secrets.flush();
  await until(() => synced(computer) || null, 'the object on the server', 10_000);
  const rawOf = async () => (await sql.query<{ raw: Buffer }>('SELECT raw FROM objects WHERE ghid = $1', [frozen.ghid.text])).rows[0]?.raw;
  await until(async () => (await rawOf()) ?? null, 'its row', 10_000);
  const good = (await rawOf())!;
  await sql.query('UPDATE objects SET raw = substring(raw from 1 for octet_length(raw) - 40) WHERE ghid = $1', [frozen.ghid.text]);

  assert.equal((await b.server.storeCheck.run()).damaged, 1, "the other node's check found it");
  const before = computer.cacheCheck.givenToRemotes;
  const report = await computer.checkCache();
  assert.ok(report.givenToRemotes > before, `given again through the node it is connected to: ${JSON.stringify(report)}`);
  await until(async () => (await rawOf())?.equals(good) || null, 'the copy put right', 10_000);
  const { rows } = await sql.query<{ damaged: string | null }>('SELECT damaged FROM objects WHERE ghid = $1', [frozen.ghid.text]);
  assert.equal(rows[0]?.damaged, null, 'its mark cleared');
  assert.equal((await b.server.storeCheck.run()).damaged, 0);
  assert.deepEqual(await b.engine.get(frozen.ghid), good, 'served by both nodes');
});
