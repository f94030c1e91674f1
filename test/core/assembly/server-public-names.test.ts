// server.public_names end to end: a real persistence server started from a hypergolix.yml
// (src/core/assembly/server.ts passing the key to the registration endpoints) refuses a
// registration challenge asked under any other name (421) and gives one under its public names.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer, type RunningServer } from '../../../src/core/assembly/server.js';
import { readChallenge } from '../../../src/core/registration/challenges.js';
import { registrationLink } from '../../../src/core/registration/client.js';
import { RemoteClient } from '../../../src/core/remote/client.js';
import { freePort, serverHome } from '../../fixtures/server/helpers.js';
import { alice, getWith, gidcOf } from '../registration/challenge-helpers.js';

async function serve(t: { after(fn: () => Promise<void>): void }, server: Record<string, string>): Promise<{ running: RunningServer; port: number; base: string }> {
  const port = await freePort();
  const home = await serverHome({ registration: 'open', ...server, port });
  const running = await startServer(home.config);
  t.after(() => running.close());
  return { running, port, base: `http://127.0.0.1:${port}` };
}

const sealed = (r: { status: number; body: string }) => (r.status === 200 ? readChallenge((JSON.parse(r.body) as { challenge: string }).challenge)?.server : r.status);

test('a server with public_names gives challenges only under them: a remote asking under its own name gets 421', async (t) => {
  const port = await freePort();
  const home = await serverHome({ registration: 'open', public_names: `[HGX.example.org, "127.0.0.1:${port}"]`, port });
  assert.deepEqual(home.config.server.public_names, ['hgx.example.org', `127.0.0.1:${port}`]);
  const running = await startServer(home.config);
  t.after(() => running.close());
  const base = `http://127.0.0.1:${port}`;

  // Another server's name, however it is said: as Host, as Hypergolix-Server (which wins over Host), or this address under another name.
  for (const headers of [{ host: 'a.example' }, { host: 'hgx.example.org', 'hypergolix-server': 'a.example:7770' }, { host: `localhost:${port}` }] as Record<string, string>[]) {
    const r = await getWith(base, '/register/challenge', headers);
    assert.equal(r.status, 421, JSON.stringify(headers));
    assert.match((JSON.parse(r.body) as { message: string }).message, new RegExp(`answers as hgx\\.example\\.org, 127\\.0\\.0\\.1:${port}, not as `));
  }
  assert.equal(running.registration?.refusalsOf('server_name'), 3);

  // Its public names: a name without a port is the host under any port; behind a proxy that rewrites Host.
  assert.equal(sealed(await getWith(base, '/register/challenge', { host: 'hgx.example.org' })), 'hgx.example.org');
  assert.equal(sealed(await getWith(base, '/register/challenge', { host: 'upstream', 'hypergolix-server': 'HGX.example.org:443' })), 'hgx.example.org:443');
  assert.equal(sealed(await getWith(base, '/register/challenge', { host: `127.0.0.1:${port}` })), `127.0.0.1:${port}`);

  // And a daemon that has the server as a remote under a public name registers as ever.
  const client = new RemoteClient({ host: '127.0.0.1', port, backoff: { initialMs: 10, maxMs: 50 } });
  t.after(() => client.close());
  client.start();
  await client.whenConnected(5000);
  assert.equal(await client.publish(gidcOf(alice.ghid.text)), true);
  const page = await fetch(await registrationLink({ host: '127.0.0.1', port, tls: false }, alice));
  assert.equal(page.status, 200, await page.clone().text());
  const status = await fetch(`${base}/register/status?fingerprint=${encodeURIComponent(alice.ghid.text)}`);
  assert.equal(((await status.json()) as { status: string }).status, 'registered');
});

test('without public_names (the default) a challenge is given under whatever name it is asked', async (t) => {
  const { running, base } = await serve(t, {});
  assert.ok(running.registration, 'registration is on');
  assert.equal(sealed(await getWith(base, '/register/challenge', { host: 'a.example' })), 'a.example');
  assert.equal(sealed(await getWith(base, '/register/challenge', { host: 'b.example', 'hypergolix-server': 'c.example:7770' })), 'c.example:7770');
  assert.equal(running.registration?.refusalsOf('server_name'), 0);
});
