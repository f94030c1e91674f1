// `hypergolix server accounts list | approve | revoke | invite` through main(argv, io), against
// the journal of a server home and a running server: an operator's revocation applies to the
// account's next upload, an approval lifts the free tier at once, an invite works on the page.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import type { CliIO } from '../../../src/cli/command.js';
import { parseDuration } from '../../../src/cli/commands/server-accounts.js';
import { main } from '../../../src/cli/index.js';
import { startServer } from '../../../src/core/assembly/server.js';
import { RegistrationRequired, type HypergolixError } from '../../../src/core/golix/index.js';
import { RemoteClient } from '../../../src/core/remote/client.js';
import { serverHome, type ServerHome } from '../../fixtures/server/helpers.js';
import { signedPairs } from '../../fixtures/server/objects.js';
import { v16Identity, v16Objects } from '../../fixtures/vectors.js';

async function run(home: ServerHome, ...argv: string[]): Promise<{ code: number; out: string; err: string }> {
  const out: string[] = [];
  const err: string[] = [];
  const io: CliIO = { out: (t) => out.push(t), err: (t) => err.push(t), stdin: Readable.from([]), isTTY: false, env: home.env, cwd: home.dir };
  const code = await main(argv, io);
  return { code, out: out.join('\n'), err: err.join('\n') };
}

const refusal = (p: Promise<unknown>) => p.then(() => null, (err: unknown) => err as HypergolixError);

test('approve and revoke from the CLI apply to a running server at the next upload', async (t) => {
  const home = await serverHome({ registration: 'approval', unregistered_upload_bytes: 0 });
  const running = await startServer({ ...home.config, server: { ...home.config.server, port: 0 } });
  t.after(() => running.close());
  const c = new RemoteClient({ host: '127.0.0.1', port: running.address.port });
  t.after(() => c.close());
  c.start();
  await c.whenConnected(5000);
  for (const g of v16Objects().filter((o) => o.obj.type === 'GIDC')) await c.publish(g.raw);
  const me = v16Identity(0);
  const [a, b] = await signedPairs(me, 2);
  assert.ok((await refusal(c.publish(a!.binding))) instanceof RegistrationRequired);

  const approve = await run(home, 'server', 'accounts', 'approve', me.ghid.text);
  assert.equal(approve.code, 0, approve.err);
  assert.equal(await c.publish(a!.binding), true, 'approved: uploads go through at once');

  const list = await run(home, 'server', 'accounts', 'list');
  assert.match(list.out, new RegExp(`${me.ghid.text.replace(/[-=]/g, '\\$&')}\\s+registered\\s+operator`));
  assert.match(list.out, /1 registered, 0 pending, 0 revoked/);

  assert.equal((await run(home, 'server', 'accounts', 'revoke', me.ghid.text)).code, 0);
  assert.ok((await refusal(c.publish(b!.binding))) instanceof RegistrationRequired, 'revoked: refused again');
  const json = await run(home, 'server', 'accounts', 'list', '--json');
  assert.equal(JSON.parse(json.out).status, 'revoked');
  // Reads stay open to everyone.
  assert.ok((await c.get(me.ghid)).length > 0);
});

test('invite prints a code once; bad arguments are usage errors', async () => {
  const home = await serverHome({ registration: 'invite' });
  const r = await run(home, 'server', 'accounts', 'invite', '--uses', '3', '--expires', '7d');
  assert.equal(r.code, 0);
  assert.match(r.out, /^[A-Za-z0-9_-]{16}$/);
  assert.match(r.err, /3 registrations, until \d{4}-/);
  assert.equal((await run(home, 'server', 'accounts', 'approve', 'not-a-fingerprint')).code, 2);
  assert.equal((await run(home, 'server', 'accounts', 'invite', '--expires', 'soon')).code, 2);
  assert.equal((await run(home, 'server', 'accounts', 'list', '--uses', '2')).code, 2);
  assert.equal((await run(home, 'server', 'accounts')).code, 2);
  assert.equal((await run(home, 'server')).code, 2);
  assert.equal(parseDuration('12h'), 12 * 3_600_000);
  assert.equal(parseDuration('2w'), 14 * 86_400_000);
});

test('--json goes with list only: approve, revoke and invite refuse it (their output is not JSON), and change nothing', async () => {
  const home = await serverHome({ registration: 'invite' });
  const fp = v16Identity(0).ghid.text;
  for (const argv of [['approve', fp, '--json'], ['revoke', '--json', fp], ['invite', '--json']]) {
    const r = await run(home, 'server', 'accounts', ...argv);
    assert.equal(r.code, 2, `${argv.join(' ')}: ${r.out}`);
    assert.match(r.err, /^hypergolix server: --json goes with list$/m);
    assert.equal(r.out, '');
  }
  const list = await run(home, 'server', 'accounts', 'list', '--json');
  assert.equal(list.code, 0, list.err);
  assert.equal(list.out, '', 'nothing was approved or revoked');
});
