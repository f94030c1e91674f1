// The settings form's checks, shared by the page (live) and the host (before a save).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { crossFieldProblems, remoteKey, sentence, validateSettings } from '../../src/common/settings-checks.js';
import { defaultSettings } from '../fixtures/ui/fake-host.js';

test('sentence: a validator problem reads as a sentence about the field, without echoing the value', () => {
  assert.equal(sentence('must be a whole number from 1 to 65535, not 70000'), 'Must be a whole number from 1 to 65535.');
  assert.equal(sentence('is missing: every remote needs a host and a port'), 'Is missing: every remote needs a host and a port.');
  assert.equal(sentence('Already a sentence.'), 'Already a sentence.');
});

test('remoteKey: one remote whatever the case or IPv6 brackets', () => {
  assert.equal(remoteKey({ host: ' Example.ORG ', port: 7770 }), remoteKey({ host: 'example.org', port: 7770 }));
  assert.equal(remoteKey({ host: '[::1]', port: 1 }), remoteKey({ host: '::1', port: 1 }));
  assert.notEqual(remoteKey({ host: '::1', port: 1 }), remoteKey({ host: '::1', port: 2 }));
});

test('crossFieldProblems: the same remote twice, and the server on the apps port only while it runs', () => {
  const s = defaultSettings();
  assert.deepEqual(crossFieldProblems(s), {});
  s.remotes.push({ host: '[127.0.0.1]', port: 7770, tls: true });
  s.server = { enabled: true, host: 'localhost', port: s.process.ipc_port };
  assert.deepEqual(crossFieldProblems(s), {
    'remotes.1': 'Remote 1 already has this host and port.',
    'server.port': 'Must differ from the app connection port.',
  });
  s.server.enabled = false;
  assert.deepEqual(Object.keys(crossFieldProblems(s)), ['remotes.1']);
});

test('validateSettings: each shown key by its own validator; a field problem hides a cross-field one', () => {
  const s = defaultSettings();
  (s.sharing as { accept: string }).accept = 'everyone';
  (s.instrumentation as { verbosity: string }).verbosity = 'chatty';
  s.server = { enabled: true, host: 'localhost', port: 0 };
  s.process.ipc_port = 0;
  assert.deepEqual(validateSettings(s), {
    'sharing.accept': 'Must be all, known or ask.',
    'instrumentation.verbosity': 'Must be one of error, warning, info, debug, shouty, extreme (or quiet, normal, loud, louder).',
    'server.port': 'Must be a whole number from 1 to 65535.',
    'process.ipc_port': 'Must be a whole number from 1 to 65535.',
  });
  const dup = defaultSettings();
  dup.remotes.push({ host: '', port: 7770, tls: false }, { host: '', port: 7770, tls: false });
  assert.deepEqual(Object.keys(validateSettings(dup)).sort(), ['remotes.1.host', 'remotes.2.host'], 'no duplicate reported for a row without a valid host');
});
