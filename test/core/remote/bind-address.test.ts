import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NetworkInterfaceInfo } from 'node:os';
import { firstLanAddress, resolveHost, type InterfaceTable } from '../../../src/core/remote/bind-address.js';

const iface = (address: string, family: 'IPv4' | 'IPv6', internal: boolean): NetworkInterfaceInfo =>
  ({ address, family, internal, netmask: '', mac: '00:00:00:00:00:00', cidr: null, ...(family === 'IPv6' ? { scopeid: 0 } : {}) }) as NetworkInterfaceInfo;

const lan: InterfaceTable = {
  lo: [iface('127.0.0.1', 'IPv4', true), iface('::1', 'IPv6', true)],
  eth0: [iface('fe80::1', 'IPv6', false), iface('192.168.1.20', 'IPv4', false)],
  wlan0: [iface('10.0.0.5', 'IPv4', false)],
};
const loopbackOnly: InterfaceTable = { lo: [iface('127.0.0.1', 'IPv4', true)] };

test('null, undefined and empty mean loopback', () => {
  assert.equal(resolveHost(null, lan), '127.0.0.1');
  assert.equal(resolveHost(undefined, lan), '127.0.0.1');
  assert.equal(resolveHost('  ', lan), '127.0.0.1');
});

test('ANY means all interfaces, case-insensitively', () => {
  for (const w of ['ANY', 'any', 'Any']) assert.equal(resolveHost(w, lan), '0.0.0.0');
});

test('AUTO picks the first non-internal IPv4 address, or loopback when there is none', () => {
  for (const w of ['AUTO', 'auto', 'Auto']) assert.equal(resolveHost(w, lan), '192.168.1.20');
  assert.equal(resolveHost('AUTO', loopbackOnly), '127.0.0.1');
  assert.equal(resolveHost('AUTO', {}), '127.0.0.1');
  assert.equal(firstLanAddress(loopbackOnly), null);
});

test('anything else is used literally', () => {
  assert.equal(resolveHost('10.1.2.3', lan), '10.1.2.3');
  assert.equal(resolveHost('localhost', lan), 'localhost');
  assert.equal(resolveHost('::1', lan), '::1');
});

test('the real interface table resolves AUTO to an address of this machine', () => {
  const got = resolveHost('AUTO');
  assert.match(got, /^\d+\.\d+\.\d+\.\d+$/);
});
