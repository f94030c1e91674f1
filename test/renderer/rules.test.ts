// The renderer's pure logic, without a browser.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { validateSettings } from '../../src/common/settings-checks.js';
import { sameValue, valueAt } from '../../src/common/json-paths.js';
import { defaultSettings } from '../fixtures/ui/fake-host.js';

test('settings rules: the defaults are valid; bad fields are reported by contract path', () => {
  assert.deepEqual(validateSettings(defaultSettings()), {});
  const s = defaultSettings();
  s.remotes.push({ host: 'not a host!', port: 70000, tls: false }, { host: '127.0.0.1', port: 7770, tls: true });
  s.process.ipc_port = Number.NaN;
  s.server = { enabled: true, host: 'ANY', port: 0 };
  const errors = validateSettings(s);
  assert.deepEqual(Object.keys(errors).sort(), ['process.ipc_port', 'remotes.1.host', 'remotes.1.port', 'remotes.2', 'server.port']);
  assert.equal(errors['remotes.1.port'], 'Must be a whole number from 1 to 65535.');
  assert.equal(errors['remotes.1.host'], 'Must be a host name or IP address.');
  assert.equal(errors['process.ipc_port'], 'Must be a whole number from 1 to 65535.');

  const clash = defaultSettings();
  clash.server = { enabled: true, host: 'localhost', port: 7772 };
  assert.deepEqual(Object.keys(validateSettings(clash)), ['server.port']);
  clash.server.enabled = false;
  assert.deepEqual(validateSettings(clash), {});
});

test('paths: values by dotted path, equality ignoring key order', () => {
  const s = defaultSettings();
  assert.equal(valueAt(s, 'remotes.0.port'), 7770);
  assert.equal(valueAt(s, 'remotes.5.port'), undefined);
  assert.equal(valueAt(s, 'process.ipc_port.x'), undefined);
  assert.equal(sameValue({ a: 1, b: [1, { c: 2 }] }, { b: [1, { c: 2 }], a: 1 }), true);
  assert.equal(sameValue({ a: [1] }, { a: { 0: 1 } }), false);
  assert.equal(sameValue({ a: 1 }, { a: 1, b: undefined }), false);
});

test('the status page\'s storage line: OK, or what is full with its path and free space', async () => {
  const { storageWords } = await import('../../src/renderer/format.js');
  assert.equal(storageWords({ kind: 'ok', path: null, freeBytes: null, message: null }), 'OK');
  assert.equal(storageWords({ kind: 'full', path: '/h/ghidcache', freeBytes: 3 * 1024 * 1024 + 400 * 1024, message: 'm' }), 'Full: /h/ghidcache (3.4 MiB free)');
  assert.equal(storageWords({ kind: 'failed', path: '/h/ghidcache', freeBytes: null, message: 'm' }), 'Refuses writes: /h/ghidcache');
});
