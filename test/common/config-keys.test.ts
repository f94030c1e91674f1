// The table every hypergolix.yml key is declared in: its entries are consistent with each other,
// with the shared constants and with the contract's Settings.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CONFIG_KEYS } from '../../src/common/config-keys.js';
import { parserOf } from '../../src/common/config-parsers.js';
import { formKeys, keysOf, valueIn } from '../../src/common/config-paths.js';
import { DEFAULT_IPC_PORT, DEFAULT_MAX_MESSAGE_BYTES, DEFAULT_SERVER_PORT } from '../../src/common/defaults.js';
import { defaultSettings } from '../fixtures/ui/fake-host.js';

test('every default passes its own validator', () => {
  for (const { path, spec } of keysOf()) {
    if (spec.default === null) continue;
    const values = Array.isArray(spec.default) ? spec.default : [spec.default];
    for (const v of values) assert.equal(parserOf(spec)(v).ok, true, `${path.join('.')}: ${String(v)}`);
  }
});

test('every key says what it does; the reference keys are the §6.1 ones', () => {
  for (const { path, spec } of keysOf()) assert.ok(spec.help.length > 5, path.join('.'));
  const reference = keysOf()
    .filter((k) => k.spec.reference)
    .map((k) => k.path.join('.'));
  assert.deepEqual(reference, [
    'process.ghidcache',
    'process.logdir',
    'process.pid_file',
    'process.ipc_port',
    'instrumentation.verbosity',
    'instrumentation.debug',
    'instrumentation.traceur',
    'user.fingerprint',
    'user.user_id',
    'user.root_secret',
    'remotes[].host',
    'remotes[].port',
    'remotes[].tls',
    'server.ghidcache',
    'server.logdir',
    'server.pid_file',
    'server.host',
    'server.port',
    'server.verbosity',
    'server.debug',
  ]);
});

test('the shared constants are the defaults of their keys', () => {
  assert.equal(CONFIG_KEYS.process.ipc_port.default, DEFAULT_IPC_PORT);
  assert.equal(CONFIG_KEYS.server.port.default, DEFAULT_SERVER_PORT);
  assert.equal(CONFIG_KEYS.server.max_message_bytes.default, DEFAULT_MAX_MESSAGE_BYTES);
  assert.deepEqual([DEFAULT_SERVER_PORT, DEFAULT_IPC_PORT, DEFAULT_MAX_MESSAGE_BYTES], [7770, 7772, 10 * 1024 * 1024]);
});

test('the settings page shows exactly the contract fields that mirror the file', () => {
  const shown = formKeys().map((k) => k.path.join('.'));
  assert.deepEqual(shown.sort(), [
    'desktop.notifications.account_change',
    'desktop.notifications.daemon_error',
    'desktop.notifications.incoming_share',
    'desktop.notifications.remote_unreachable',
    'desktop.notifications.share_result',
    'desktop.start_at_login',
    'instrumentation.debug',
    'instrumentation.verbosity',
    'process.ipc_accept_sent_key',
    'process.ipc_legacy_clients',
    'process.ipc_port',
    'server.port',
    'sharing.accept',
  ]);
  // Each of them is in the contract's Settings, under the same path.
  const s = defaultSettings();
  for (const path of shown) assert.notEqual(valueIn(s, path.split('.')), undefined, path);
  // Keys shown under another name say which.
  assert.equal(CONFIG_KEYS.desktop.embedded_server.ui.field, 'server.enabled');
  assert.equal(CONFIG_KEYS.server.host.ui.field, 'server.host');
});

test('choice words cover every value of their key', () => {
  assert.deepEqual(Object.keys(CONFIG_KEYS.sharing.accept.ui.choices), ['all', 'known', 'ask']);
  assert.deepEqual(Object.keys(CONFIG_KEYS.instrumentation.verbosity.ui.choices), ['error', 'warning', 'info', 'debug', 'shouty', 'extreme']);
  assert.deepEqual(Object.keys(CONFIG_KEYS.server.host.ui.choices), ['localhost', 'AUTO', 'ANY']);
});
