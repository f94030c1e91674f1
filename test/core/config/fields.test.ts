// The pure validators the UI, the CLI and the config module share.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  parseBoolean,
  parseByteSize,
  parseGhidText,
  parseHost,
  parseHttpUrl,
  parsePort,
  parseRemoteSpec,
  parseSecretText,
  parseServerHost,
  parseSharingPolicy,
  parseVerbosity,
} from '../../../src/common/config-fields.js';
import { Ghid } from '../../../src/core/golix/ghid.js';
import { ghidText, secretText } from './helpers.js';

const value = <T>(r: { ok: true; value: T } | { ok: false; error: string }): T => {
  assert.ok(r.ok, r.ok ? '' : r.error);
  return r.value;
};
const error = (r: { ok: boolean; error?: string }): string => {
  assert.equal(r.ok, false);
  return r.error!;
};

test('config-fields.ts imports only host-syntax.ts, which imports nothing, so the browser UI can load both', () => {
  const read = (name: string) => readFileSync(fileURLToPath(new URL(`../../../src/common/${name}`, import.meta.url)), 'utf8');
  const fields = read('config-fields.ts');
  assert.deepEqual([...fields.matchAll(/^\s*import\s.*from\s+'([^']+)'/gm)].map((m) => m[1]), ['./host-syntax.js']);
  assert.equal([...fields.matchAll(/^\s*import\s/gm)].length, 1);
  const syntax = read('host-syntax.ts');
  assert.doesNotMatch(syntax, /^\s*import\s/m);
  for (const src of [fields, syntax]) assert.doesNotMatch(src, /\brequire\(/);
});

test('ports are whole numbers 1..65535, from numbers or digit strings', () => {
  assert.equal(value(parsePort(7770)), 7770);
  assert.equal(value(parsePort(' 443 ')), 443);
  assert.equal(value(parsePort(65535)), 65535);
  for (const bad of [0, 65536, -1, 7770.5, '77a', '', null, true, [1]]) assert.match(error(parsePort(bad)), /1 to 65535/);
  assert.match(error(parsePort(70000)), /not 70000$/);
});

test('TLS and other switches accept the reference spellings', () => {
  for (const t of [true, 'y', 'Y', 'yes', 'true', 'T', 't', '1', 1, 'on']) assert.equal(value(parseBoolean(t)), true, String(t));
  for (const f of [false, 'n', 'no', 'False', 'f', '0', 0, 'off']) assert.equal(value(parseBoolean(f)), false, String(f));
  assert.match(error(parseBoolean('maybe')), /"maybe"/);
  assert.match(error(parseBoolean(2)), /true or false/);
});

test('verbosity: names, the reference aliases, Python numeric levels', () => {
  assert.equal(value(parseVerbosity('quiet')), 'error');
  assert.equal(value(parseVerbosity('normal')), 'warning');
  assert.equal(value(parseVerbosity('loud')), 'info');
  assert.equal(value(parseVerbosity('LOUDER')), 'debug');
  assert.equal(value(parseVerbosity('shouty')), 'shouty');
  assert.equal(value(parseVerbosity('extreme')), 'extreme');
  assert.equal(value(parseVerbosity(20)), 'info');
  assert.match(error(parseVerbosity('chatty')), /error, warning, info, debug, shouty, extreme/);
});

test('hosts: names, IPv4, IPv6 with or without brackets; junk refused', () => {
  assert.equal(value(parseHost('example.com')), 'example.com');
  assert.equal(value(parseHost('127.0.0.1')), '127.0.0.1');
  assert.equal(value(parseHost('[::1]')), '::1');
  assert.equal(value(parseHost('fe80::1%eth0')), 'fe80::1%eth0');
  assert.equal(value(parseHost('localhost')), 'localhost');
  for (const bad of ['', 'exa mple.com', 'a..b', '-x.com', '999.1.1.1', 'http://x', 'a:b:c:d:e:f:g:h:i', 42]) {
    assert.equal(parseHost(bad).ok, false, String(bad));
  }
});

test('server.host: null is loopback, AUTO and ANY in any case', () => {
  assert.equal(value(parseServerHost(null)), '127.0.0.1');
  assert.equal(value(parseServerHost('auto')), 'AUTO');
  assert.equal(value(parseServerHost('Any')), 'ANY');
  assert.equal(value(parseServerHost('10.0.0.2')), '10.0.0.2');
  assert.match(error(parseServerHost('every where')), /AUTO or ANY/);
});

test('GHID text: 88 canonical characters, algorithm 1', () => {
  const g = ghidText();
  assert.equal(value(parseGhidText(g)), g);
  assert.equal(parseGhidText(g.slice(1)).ok, false);
  assert.equal(parseGhidText('B' + g.slice(1)).ok, false, 'first byte is not algorithm 1');
  // The last data character carries 2 padding bits: a non-canonical spelling of the same bytes.
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
  const last = chars.indexOf(g[86]!);
  assert.equal(last % 4, 0);
  assert.equal(parseGhidText(g.slice(0, 86) + chars[last | 1] + '=').ok, false, 'a set padding bit is refused');
  assert.equal(parseGhidText(g.replace('=', '.')).ok, false);
});

test('GHID text: the browser-safe check agrees with Ghid.fromText on mutated inputs', () => {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_=+/.';
  for (let i = 0; i < 400; i++) {
    const g = ghidText();
    const at = i % 88;
    const mutated = g.slice(0, at) + chars[(i * 7) % chars.length] + g.slice(at + 1);
    assert.equal(parseGhidText(mutated).ok, Ghid.tryText(mutated) !== null, mutated);
  }
});

test('secret text: 72 characters of an SH record; the error never echoes the secret', () => {
  const s = secretText();
  assert.equal(value(parseSecretText(s)), s);
  const broken = 'A' + s.slice(1);
  const msg = error(parseSecretText(broken));
  assert.match(msg, /SH record/);
  assert.ok(!msg.includes(broken.slice(0, 20)));
});

test('URLs must be http or https', () => {
  assert.equal(value(parseHttpUrl('https://reg.example.com/signup')), 'https://reg.example.com/signup');
  for (const bad of ['ftp://x', 'javascript:alert(1)', 'example.com', 5]) assert.equal(parseHttpUrl(bad).ok, false, String(bad));
});

test('byte sizes: integers or binary units', () => {
  assert.equal(value(parseByteSize('16 MiB', 1, 2 ** 30)), 16 * 2 ** 20);
  assert.equal(value(parseByteSize(65536, 65536, 2 ** 30)), 65536);
  assert.match(error(parseByteSize(1000, 65536, 2 ** 30)), /64 KiB to 1 GiB/);
});

test('sharing policy and HOST:PORT[:tls] specs', () => {
  assert.equal(value(parseSharingPolicy('Known')), 'known');
  assert.equal(parseSharingPolicy('everyone').ok, false);
  assert.deepEqual(value(parseRemoteSpec('example.com:7770')), { host: 'example.com', port: 7770, tls: false });
  assert.deepEqual(value(parseRemoteSpec('example.com:443:tls')), { host: 'example.com', port: 443, tls: true });
  assert.deepEqual(value(parseRemoteSpec('[::1]:7770:y')), { host: '::1', port: 7770, tls: true });
  assert.match(error(parseRemoteSpec('example.com:99999')), /bad port/);
  assert.match(error(parseRemoteSpec('example.com')), /HOST:PORT/);
  assert.match(error(parseRemoteSpec('example.com:1:maybe')), /TLS/);
});
