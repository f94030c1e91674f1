// `hypergolix server migrate`: a file store copied into PostgreSQL and back, byte for byte, with
// the rules state (current frames, quota usage) and the server's accounts intact; refusals for a
// non-empty destination and for bad arguments.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { join } from 'node:path';
import { Ghid } from '../../src/core/golix/index.js';
import { main } from '../../src/cli/index.js';
import type { CliIO } from '../../src/cli/command.js';
import { PostgresEngine } from '../../src/core/postgres/engine.js';
import { RulesEngine } from '../../src/core/rules/rules-engine.js';
import { FileStore } from '../../src/core/store/file-store.js';
import { PgRegistry } from '../../src/core/postgres/registry.js';
import { FileRegistry, registrationsPath } from '../../src/core/registration/registry.js';
import { POSTGRES_SKIP, startPostgres } from '../fixtures/postgres.js';
import { serverHome } from '../fixtures/server/helpers.js';
import { v16Objects } from '../fixtures/vectors.js';

const v16 = v16Objects();
const frameN = (n: number) => v16.find((o) => o.obj.type === 'GOBD' && o.entry.counter === n)!;
const geocN = (n: number) => v16.find((o) => o.obj.type === 'GEOC' && o.entry.chain_counter === n)!;
/** The reference's valid order, up to the third frame: identities, a GOBS and its container, frames and their containers, requests. */
const published = [0, 1, 2, 11, 3].map((i) => v16[i]!).concat([0, 1, 2].flatMap((n) => [frameN(n), geocN(n)]), [35, 36].map((i) => v16[i]!));
/** What stays stored: frames 0 and 1 and their containers are replaced and collected. */
const kept = published.filter((o) => ![frameN(0), frameN(1), geocN(0), geocN(1)].includes(o));

async function cli(args: string[]): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: CliIO = { out: (t) => (out += t + '\n'), err: (t) => (err += t + '\n'), stdin: Readable.from([]), isTTY: false, env: {}, cwd: '/' };
  const code = await main(args, io);
  return { code, out, err };
}

test('server migrate: files → postgres → files keeps every object and the rules state', { skip: POSTGRES_SKIP }, async () => {
  const url = await startPostgres().database();
  const home = await serverHome({ postgres: JSON.stringify(url), quota_objects_per_identity: 100 });
  const quota = { objectsPerIdentity: 100 };
  const files = (await RulesEngine.open(new FileStore(home.config.server.ghidcache), { quota })).engine;
  for (const o of published) await files.ingest(o.raw);
  const usage = files.usageOf(Ghid.fromText(frameN(0).entry.binder!));
  await files.close();
  // The server's accounts: one approved and then revoked, one pending, an invite half used.
  const [a, b] = [published[0]!.obj.ghid.text, published[1]!.obj.ghid.text];
  const journal = await FileRegistry.open(registrationsPath(home.config.server.ghidcache));
  await journal.register(a, 'operator');
  await journal.revoke(a);
  await journal.request(b);
  const code = await journal.createInvite(2, null);
  assert.equal(await journal.useInvite(code, b), true);
  const accounts = { list: journal.list(), invites: journal.invites() };
  await journal.close();

  const there = await cli(['server', 'migrate', '--from', 'files', '--to', 'postgres', '--root', home.dir]);
  assert.equal(there.code, 0, there.err);
  assert.match(there.out, new RegExp(`Copied ${kept.length} objects and 5 registration records`));
  const cluster = await PgRegistry.open({ url, refreshMs: 0 });
  assert.deepEqual({ list: cluster.list(), invites: cluster.invites() }, accounts, 'the accounts as the journal had them');
  const c = published[2]!.obj.ghid.text;
  assert.equal(await cluster.useInvite(code, c), true, 'the invite keeps its last use');
  assert.equal(await cluster.useInvite(code, a), false);
  assert.deepEqual([cluster.get(c)?.status, cluster.get(c)?.via], ['registered', 'invite'], 'the use registered its account');
  const afterUse = cluster.list();
  await cluster.close();

  const pg = (await PostgresEngine.open({ url, quota })).engine;
  for (const o of kept) assert.deepEqual(await pg.get(o.obj.ghid), o.raw, o.entry.file);
  assert.deepEqual(await pg.get(Ghid.fromText(frameN(2).entry.ghid_dynamic!)), frameN(2).raw, 'the current frame');
  assert.equal(await pg.exists(geocN(0).obj.ghid), false);
  assert.equal(pg.stats().objects, kept.length);
  assert.deepEqual({ bytes: pg.usage()!.bytes, objects: pg.usage()!.objects }, usage, 'quota usage as the file store counted it');
  await pg.close();

  const again = await cli(['server', 'migrate', '--from', 'files', '--to', 'postgres', '--root', home.dir]);
  assert.notEqual(again.code, 0);
  assert.match(again.err, /already holds \d+ objects; migrate into an empty one/);

  const back = await serverHome({ postgres: JSON.stringify(url), ghidcache: join(home.dir, 'back') });
  const returned = await cli(['server', 'migrate', '--from', 'postgres', '--to', 'files', '--root', back.dir]);
  assert.equal(returned.code, 0, returned.err);
  assert.match(returned.out, new RegExp(`Copied ${kept.length} objects and 6 registration records`));
  const home2 = await FileRegistry.open(registrationsPath(back.config.server.ghidcache));
  assert.deepEqual(home2.list(), afterUse);
  assert.equal(home2.invites()[0]!.usesLeft, 0);
  await home2.close();
  const restored = (await RulesEngine.open(new FileStore(back.config.server.ghidcache))).engine;
  assert.equal(restored.stats().objects, kept.length);
  for (const o of kept) assert.deepEqual(await restored.get(o.obj.ghid), o.raw);
  await restored.close();
});

test('server migrate: wrong or missing directions are refused with the usage', async () => {
  for (const args of [[], ['--from', 'files'], ['--from', 'files', '--to', 'files'], ['--from', 'disk', '--to', 'postgres'], ['--to', 'postgres', '--bogus']]) {
    const r = await cli(['server', 'migrate', ...args]);
    assert.equal(r.code, 2, args.join(' '));
    assert.match(r.err, /Usage: hypergolix server migrate/);
  }
  const r = await cli(['server', 'vacuum']);
  assert.equal(r.code, 2);
  assert.match(r.err, /Expected "accounts", "migrate" or "check", got "vacuum"/);
});
