// HGXLink.connect: finding the key, clear failures (no daemon, wrong key, no key file), legacy
// links, and failing fast once closed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AuthFailed, HGXLink, HgxError, IpcError, JsonObj, NotConnected } from '../../packages/hgx/src/index.js';
import { tempHome, world } from '../fixtures/ipc/world.js';
import { freePort } from '../fixtures/free-port.js';


test('connect() fails with NotConnected, naming the address, when no daemon answers in time', async () => {
  const port = await freePort();
  const started = Date.now();
  await assert.rejects(
    HGXLink.connect({ port, token: 'ab'.repeat(32), timeoutMs: 400 }),
    (err: Error) => err instanceof NotConnected && err.message.includes(`ws://127.0.0.1:${port}/`) && /hypergolix start app/.test(err.message),
  );
  assert.ok(Date.now() - started < 2000);
});

test('an option of the wrong kind or out of range fails at once with an HgxError naming it', async () => {
  const token = 'ab'.repeat(32);
  const bad: [Record<string, unknown>, RegExp][] = [
    [{ port: Number('abc') }, /^port is a whole number from 1 to 65535, not NaN$/],
    [{ port: '7772' }, /port .* not "7772"/],
    [{ port: 70000 }, /port .* not 70000/],
    [{ port: 0 }, /port .* not 0/],
    [{ port: 7772.5 }, /port/],
    [{ host: '' }, /host is a host name or an IP address/],
    [{ host: '[::1]' }, /without brackets/],
    [{ host: 'evil.example/path' }, /host/],
    [{ host: 42 }, /host .* not 42/],
    [{ timeoutMs: Number.NaN }, /timeoutMs is a number of milliseconds from 1 to 2147483647, not NaN/],
    [{ timeoutMs: -5 }, /timeoutMs/],
    [{ requestTimeoutMs: 2 ** 31 }, /requestTimeoutMs .* not 2147483648/],
    [{ requestTimeoutMs: Infinity }, /requestTimeoutMs .* not Infinity/],
    [{ reconnect: { minDelayMs: 0 } }, /reconnect\.minDelayMs .* from 10 /],
    [{ reconnect: { maxDelayMs: '5s' } }, /reconnect\.maxDelayMs .* not "5s"/],
    [{ reconnect: 'yes' }, /reconnect is true, false or \{ minDelayMs, maxDelayMs \}/],
    [{ legacy: 'no' }, /legacy is true or false/],
    [{ logger: {} }, /logger is an object with a warn/],
    [{ tokenFile: '' }, /tokenFile is the path of a file/],
  ];
  for (const [options, message] of bad) {
    const started = Date.now();
    await assert.rejects(
      HGXLink.connect({ token, timeoutMs: 3000, ...options } as never),
      (err: Error) => message.test(err.message) && err.constructor === HgxError,
      JSON.stringify(options),
    );
    assert.ok(Date.now() - started < 1000, `${JSON.stringify(options)} failed at once`);
  }
  await assert.rejects(HGXLink.connect(null as never), (err: Error) => err instanceof HgxError && /options object/.test(err.message));
  await assert.rejects(HGXLink.connect({ token: 42 } as never), (err: Error) => err instanceof AuthFailed && /64 hexadecimal digits or 32 bytes/.test(err.message));
});

test('a wrong key is AuthFailed at once; a missing key file is AuthFailed naming it', async () => {
  const w = await world();
  const a = await w.user(0);
  const started = Date.now();
  await assert.rejects(HGXLink.connect({ port: a.port, token: 'cd'.repeat(32), timeoutMs: 5000 }), AuthFailed);
  assert.ok(Date.now() - started < 2000);
  await assert.rejects(HGXLink.connect({ port: a.port, tokenFile: join(a.home, 'nope') }), (e: Error) => e instanceof AuthFailed && /nope/.test(e.message));
  await assert.rejects(HGXLink.connect({ port: a.port, token: 'xyz' }), AuthFailed);
});

test('the key is found through HYPERGOLIX_HOME like the config; a closed link fails fast', async () => {
  const w = await world();
  const a = await w.user(0);
  await writeFile(join(a.home, 'hypergolix.yml'), '# test home\n');
  const saved = process.env.HYPERGOLIX_HOME;
  process.env.HYPERGOLIX_HOME = a.home;
  try {
    const link = await HGXLink.connect({ port: a.port });
    assert.equal(link.whoami, a.daemon.fingerprint.text);
    assert.equal(link.connected, true);
    const opened = await link.new(JsonObj, 1);
    await link.close();
    assert.equal(link.connected, false);
    await assert.rejects(link.new(JsonObj, 1), NotConnected);
    await assert.rejects(link.get(JsonObj, opened.ghid), NotConnected, 'not the instance cached before the close either');
  } finally {
    if (saved === undefined) delete process.env.HYPERGOLIX_HOME;
    else process.env.HYPERGOLIX_HOME = saved;
  }
  const empty = await tempHome();
  process.env.HYPERGOLIX_HOME = empty;
  try {
    await writeFile(join(empty, 'hypergolix.yml'), '');
    await assert.rejects(HGXLink.connect({ port: a.port }), (e: Error) => e instanceof AuthFailed && e.message.includes(join(empty, 'ipc-token')));
  } finally {
    if (saved === undefined) delete process.env.HYPERGOLIX_HOME;
    else process.env.HYPERGOLIX_HOME = saved;
  }
});

test('a legacy link (no key) works with a daemon that admits legacy clients, public objects only', async () => {
  const w = await world();
  const a = await w.user(0, { ipc: { legacyClients: true } });
  const link = await HGXLink.connect({ port: a.port, legacy: true });
  try {
    assert.equal(link.whoami, a.daemon.fingerprint.text);
    const obj = await link.new(JsonObj, [1, 2, 3]);
    assert.deepEqual((await link.get(JsonObj, obj.ghid)).state, [1, 2, 3]);
    await assert.rejects(link.registerToken(), (e: Error) => e instanceof IpcError && e.code === 0xffff && e.codeName === 'IPCError');
  } finally {
    await link.close();
  }
  const b = await w.user(1);
  await assert.rejects(HGXLink.connect({ port: b.port, legacy: true, timeoutMs: 500 }), NotConnected);
});
