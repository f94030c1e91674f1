import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runtimeDescription } from '../../../src/core/process/runtime.js';

test('the runtime a daemon or server logs: Node and its OpenSSL, or Electron and its Node', () => {
  assert.equal(runtimeDescription({ node: '24.22.3', openssl: '3.5.9' }), 'Node 24.22.3, OpenSSL 3.5.9');
  assert.equal(runtimeDescription({ node: '22.20.0', openssl: '0.0.0', electron: '45.4.1' }), 'Electron 45.4.1, Node 22.20.0');
  assert.equal(runtimeDescription({}), 'Node unknown, OpenSSL unknown');
  assert.equal(runtimeDescription(), `Node ${process.versions.node}, OpenSSL ${process.versions.openssl}`);
});
