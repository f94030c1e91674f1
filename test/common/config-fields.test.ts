// The validators of single hypergolix.yml values (src/common/config-fields.ts) that the settings form,
// the CLI and the config module share: boundaries, whitespace, unicode, IPv6, empty and out-of-range
// input, the messages they give, and that the config module (src/core/config, typed by schema.ts and
// the table of config-keys.ts) judges every value exactly as the field validator does.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { isIPv6 } from 'node:net';
import {
  GIB,
  HOSTED_REMOTE,
  KIB,
  MIB,
  REGISTRATION_POLICIES,
  SERVER_STORES,
  SHARING_POLICIES,
  VERBOSITIES,
  approximateBytes,
  formatBytes,
  hostKey,
  parseBoolean,
  parseByteSize,
  parseGhidText,
  parseHost,
  parseHttpUrl,
  parseInteger,
  parsePathText,
  parsePort,
  parsePostgresUrl,
  parseRate,
  parseRegistrationPolicy,
  parseRemoteSpec,
  parseSecretText,
  parseServerHost,
  parseServerStore,
  parseSharedSecret,
  parseSharingPolicy,
  parseVerbosity,
  showValue,
  type Field,
} from '../../src/common/config-fields.js';
import { CONFIG_KEYS, type KeySpec } from '../../src/common/config-keys.js';
import { parserOf } from '../../src/common/config-parsers.js';
import { keysOf, putIn } from '../../src/common/config-paths.js';
import { remoteKey } from '../../src/common/settings-checks.js';
import { resolveConfig, type Resolved } from '../../src/core/config/resolve.js';
import { Ghid } from '../../src/core/golix/ghid.js';
import { Secret } from '../../src/core/golix/secret.js';

const value = <T>(r: Field<T>, label = ''): T => {
  assert.ok(r.ok, r.ok ? '' : `${label} refused: ${r.error}`);
  return r.value;
};
const error = (r: Field<unknown>, label = ''): string => {
  assert.equal(r.ok, false, r.ok ? `${label} accepted as ${JSON.stringify(r.value)}` : '');
  return (r as { ok: false; error: string }).error;
};
const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';

// ───────────────────────────── numbers ─────────────────────────────

describe('whole numbers and ports', () => {
  test('ports: 1 and 65535 are in, 0 and 65536 are out, from numbers and digit strings', () => {
    for (const [v, n] of [[1, 1], [65535, 65535], ['1', 1], ['65535', 65535], [7770.0, 7770], ['0080', 80], ['000000000000080', 80]] as const) {
      assert.equal(value(parsePort(v), String(v)), n);
    }
    for (const bad of [0, -0, 65536, -1, 1.5, Number.NaN, Infinity, -Infinity, Number.MAX_SAFE_INTEGER + 1, '0', '65536', '-1', '+1', '1.0', '8e1', '0x50', '1_000', '80n', '7770 7771']) {
      assert.match(error(parsePort(bad), String(bad)), /^must be a whole number from 1 to 65535, not /);
    }
  });

  test('ports: whitespace around digits is fine; anything but ASCII digits inside is not', () => {
    for (const v of [' 80', '80 ', '\t80\n', '\u00a080\u00a0', '\ufeff80', '\u200980']) assert.equal(value(parsePort(v), JSON.stringify(v)), 80);
    for (const bad of ['8 0', '８０', '٨٠', '८०', '\u200b80', '80\u200b', '', '   ']) error(parsePort(bad), JSON.stringify(bad));
  });

  test('ports: non-numbers are refused and named by kind in the message', () => {
    const cases: [unknown, string][] = [
      [null, 'null'],
      [undefined, 'nothing'],
      [true, 'true'],
      [[80], 'a list'],
      [{ port: 80 }, 'a mapping'],
      [new Date(0), 'a date'],
      [new Uint8Array([80]), 'binary data'],
      [new Set([80]), 'a list'],
      ['', '""'],
    ];
    for (const [v, shown] of cases) assert.equal(error(parsePort(v)), `must be a whole number from 1 to 65535, not ${shown}`);
    error(parsePort(80n as unknown));
  });

  test('ports: a digit string of more than 15 characters is refused whatever its value', () => {
    error(parsePort('0'.repeat(15) + '80'));
    error(parsePort('9'.repeat(16)));
  });

  test('integers: both bounds inclusive, bounds quoted in the message', () => {
    assert.equal(value(parseInteger(5, 5, 5)), 5);
    assert.equal(value(parseInteger('0', 0, 10)), 0);
    assert.equal(value(parseInteger(1_000_000_000, 1, 1_000_000_000)), 1_000_000_000);
    assert.equal(error(parseInteger(4, 5, 10)), 'must be a whole number from 5 to 10, not 4');
    assert.equal(error(parseInteger('11', 5, 10)), 'must be a whole number from 5 to 10, not "11"');
  });
});

describe('byte sizes, rates and their words', () => {
  test('sizes: bytes, or a whole number with B/KiB/MiB/GiB in any case, with or without a space', () => {
    const cases: [unknown, number][] = [
      [65536, 65536],
      ['65536', 65536],
      ['0', 0],
      ['0 B', 0],
      ['12b', 12],
      ['64 KiB', 64 * KIB],
      ['64kib', 64 * KIB],
      [' 16 MiB ', 16 * MIB],
      ['16MIB', 16 * MIB],
      ['1 GiB', GIB],
      ['1024 GiB', 1024 * GIB],
    ];
    for (const [v, n] of cases) assert.equal(value(parseByteSize(v, 0, 1024 * GIB), String(v)), n);
  });

  test('sizes: decimal units, fractions, exponents, other units and signs are refused', () => {
    for (const bad of ['16 MB', '16 M', '16 KB', '1.5 MiB', '1e6', '4 TiB', 'KiB', '64 KiBs', '-1', '-1 KiB', '1 KiB 2', '', 65536.5, -1, null, true]) {
      assert.match(error(parseByteSize(bad, 0, 1024 * GIB), String(bad)), /^must be a size from 0 bytes to 1024 GiB \(bytes, or with KiB\/MiB\/GiB\), not /);
    }
  });

  test('sizes: both bounds inclusive, with a unit as without', () => {
    assert.equal(value(parseByteSize('64 KiB', 64 * KIB, GIB)), 64 * KIB);
    assert.equal(value(parseByteSize('1 GiB', 64 * KIB, GIB)), GIB);
    error(parseByteSize(64 * KIB - 1, 64 * KIB, GIB));
    error(parseByteSize('1025 MiB', 64 * KIB, GIB));
    error(parseByteSize('9999999999 GiB', 0, 1024 * GIB), 'a product past 2^53 is still out of range');
  });

  test('every size bound and default of the table in KiB/MiB/GiB reads back from its words', () => {
    for (const { path, spec } of keysOf()) {
      if (spec.kind !== 'size') continue;
      for (const n of [spec.min, spec.max, spec.default]) {
        if (n === null || n === 0) continue;
        assert.equal(value(parseByteSize(formatBytes(n), spec.min, spec.max), path.join('.')), n, `${path.join('.')}: ${formatBytes(n)}`);
      }
    }
  });

  // Fixed (src/common/config-fields.ts): the size parser takes the unit "B" but not "bytes", the word
  // formatBytes writes for sizes that are no whole KiB. So the message for server.unregistered_upload_bytes
  // ("must be a size from 0 bytes to 1024 GiB") names a value it refuses ("0 bytes"), and a size the server
  // prints with formatBytes (start-up log, registration hint: "1000 bytes") cannot be typed back as shown.
  test('sizes: the words formatBytes writes are sizes the parser reads', () => {
    for (const n of [0, 1, 1000, 1536, 65_537]) {
      assert.equal(value(parseByteSize(formatBytes(n), 0, 1024 * GIB), formatBytes(n)), n);
    }
  });

  test('formatBytes: the largest binary unit that divides evenly', () => {
    assert.equal(formatBytes(0), '0 bytes');
    assert.equal(formatBytes(1023), '1023 bytes');
    assert.equal(formatBytes(KIB), '1 KiB');
    assert.equal(formatBytes(1536), '1536 bytes');
    assert.equal(formatBytes(64 * KIB), '64 KiB');
    assert.equal(formatBytes(10 * MIB), '10 MiB');
    assert.equal(formatBytes(1024 * GIB), '1024 GiB');
    assert.equal(formatBytes(GIB + KIB), `${1024 * 1024 + 1} KiB`);
  });

  test('approximateBytes: a short reading in the largest unit reached', () => {
    assert.equal(approximateBytes(0), '0 bytes');
    assert.equal(approximateBytes(1023), '1023 bytes');
    assert.equal(approximateBytes(KIB), '1 KiB');
    assert.equal(approximateBytes(1536), '1.5 KiB');
    assert.equal(approximateBytes(812 * KIB), '812 KiB');
    assert.equal(approximateBytes(1.4 * GIB), '1.4 GiB');
    assert.equal(approximateBytes(9.96 * KIB), '10 KiB');
    assert.equal(approximateBytes(5 * 1024 * GIB), '5120 GiB');
  });

  // Fixed (src/common/config-fields.ts): the unit is chosen before rounding, so a value just
  // under a unit rounds up to 1024 of the smaller one: 1 MiB − 1 byte reads "1024 KiB", 1 GiB − 1
  // reads "1024 MiB" (the desktop's storage status, "Full: … (1024 MiB free)"), where "1 MiB" /
  // "1 GiB" is meant. Cosmetic.
  test('approximateBytes: a value that rounds up to the next unit is shown in that unit', () => {
    assert.equal(approximateBytes(MIB - 1), '1 MiB');
    assert.equal(approximateBytes(GIB - 1), '1 GiB');
    assert.equal(approximateBytes(MIB - 40), '1 MiB');
  });

  test('rates: 0.001 to 1,000,000 objects a second, decimals allowed, nothing else', () => {
    const lo = 0.001;
    const hi = 1_000_000;
    for (const [v, n] of [[0.001, 0.001], ['0.001', 0.001], ['0.5', 0.5], [' 2 ', 2], [1_000_000, 1_000_000], ['1000000', 1_000_000], ['123456789.5', null]] as const) {
      if (n === null) error(parseRate(v, lo, hi));
      else assert.equal(value(parseRate(v, lo, hi), String(v)), n);
    }
    for (const bad of [0, 0.0009, '0.0001', 1_000_001, -1, '-1', '.5', '5.', '1e3', '1,5', 'Infinity', Number.NaN, Infinity, true, null, '']) {
      assert.match(error(parseRate(bad, lo, hi), String(bad)), /^must be a number of objects per second from 0\.001 to 1000000, not /);
    }
  });
});

// ───────────────────────────── words ─────────────────────────────

describe('booleans, verbosity, policies', () => {
  test('booleans: the reference spellings in any case and with whitespace, plus on/off', () => {
    for (const t of [true, 1, 'true', 'TRUE', ' t ', 'yes', 'Y', '1', 'on', 'On', '\tyes\n']) assert.equal(value(parseBoolean(t), String(t)), true);
    for (const f of [false, 0, -0, 'false', 'F', 'no', 'N', '0', 'off', 'OFF ']) assert.equal(value(parseBoolean(f), String(f)), false);
    for (const bad of [2, -1, 0.5, '', ' ', 'ja', 'nein', 'yess', 'true\u200b', 'ｙｅｓ', null, undefined, [], {}]) {
      assert.match(error(parseBoolean(bad), String(bad)), /^must be true or false \(also yes\/no, y\/n, t\/f, 1\/0\), not /);
    }
  });

  test('verbosity: every name, the reference aliases and warn, in any case, trimmed', () => {
    for (const v of VERBOSITIES) {
      assert.equal(value(parseVerbosity(v)), v);
      assert.equal(value(parseVerbosity(` ${v.toUpperCase()} `)), v);
    }
    const aliases = { quiet: 'error', normal: 'warning', warn: 'warning', loud: 'info', louder: 'debug' } as const;
    for (const [alias, v] of Object.entries(aliases)) assert.equal(value(parseVerbosity(alias)), v);
    for (const bad of ['', 'critical', 'verbose', 'inf', 'toString', 'valueOf', 'hasOwnProperty', true, null, [], {}]) error(parseVerbosity(bad), String(bad));
  });

  // Fixed (src/common/config-fields.ts): the aliases are looked up in a plain object literal, so the
  // words "__proto__" and "constructor" (any case, any whitespace) find Object.prototype and the Object
  // function: parseVerbosity returns { ok: true, value: <object/function> }. A hypergolix.yml with
  // `verbosity: constructor` loads without a problem and the config holds a function where a Verbosity
  // is typed (log levels then compare against it); `hypergolix config --verbosity __proto__` is accepted.
  test('verbosity: names of Object.prototype are not verbosities', () => {
    for (const w of ['__proto__', 'constructor', ' Constructor ']) {
      const r = parseVerbosity(w);
      assert.equal(r.ok, false, `${JSON.stringify(w)} accepted as ${r.ok ? typeof r.value : ''}`);
    }
    const file = resolve({ instrumentation: { verbosity: 'constructor' } });
    assert.equal(typeof file.config.instrumentation.verbosity, 'string');
  });

  test('verbosity: Python levels as numbers, each band to its name; negatives and fractions refused', () => {
    const bands: [number, string][] = [
      [0, 'extreme'],
      [1, 'extreme'],
      [4, 'extreme'],
      [5, 'shouty'],
      [9, 'shouty'],
      [10, 'debug'],
      [19, 'debug'],
      [20, 'info'],
      [29, 'info'],
      [30, 'warning'],
      [39, 'warning'],
      [40, 'error'],
      [50, 'error'],
      [10_000, 'error'],
    ];
    for (const [n, v] of bands) assert.equal(value(parseVerbosity(n)), v, String(n));
    for (const bad of [-1, 15.5, Number.NaN, Infinity]) error(parseVerbosity(bad), String(bad));
  });

  test('sharing policy, server store and registration: the listed words in any case, trimmed', () => {
    for (const p of SHARING_POLICIES) assert.equal(value(parseSharingPolicy(` ${p.toUpperCase()} `)), p);
    for (const s of SERVER_STORES) assert.equal(value(parseServerStore(`${s.toUpperCase()}\n`)), s);
    for (const r of REGISTRATION_POLICIES) assert.equal(value(parseRegistrationPolicy(` ${r.toUpperCase()}`)), r);
    assert.equal(value(parseRegistrationPolicy(false)), 'off', 'YAML 1.1 off is false');
    for (const bad of ['', 'everyone', 'toString', true, null, 1]) error(parseSharingPolicy(bad), String(bad));
    for (const bad of ['', 'file', 'sqlite', 'toString', true, null]) error(parseServerStore(bad), String(bad));
    for (const bad of ['', 'no', 'closed', 'on', true, null, 0]) error(parseRegistrationPolicy(bad), String(bad));
  });
});

// ───────────────────────────── paths ─────────────────────────────

describe('paths', () => {
  test('any usable name is kept exactly as written', () => {
    for (const p of ['ghidcache', '/var/lib/hgx', '~', '~/hgx', 'C:\\Users\\me\\hgx', '\\\\server\\share', ' leading space', 'naïve/ünïcode', 'a\nb', 'x'.repeat(5000)]) {
      assert.equal(value(parsePathText(p), JSON.stringify(p.slice(0, 20))), p);
    }
  });

  test('empty, blank, NUL-bearing and non-string paths are refused', () => {
    for (const bad of ['', ' ', '\t\n', 'a\u0000b', '\u0000', 5, null, undefined, ['/x'], { path: '/x' }]) {
      assert.match(error(parsePathText(bad), JSON.stringify(bad)), /^must be a file system path, not /);
    }
  });
});

// ───────────────────────────── hosts ─────────────────────────────

/** The URL the remote client builds for a host (src/core/remote/client.ts: IPv6 in brackets). */
const clientUrl = (host: string, port = 7770) => `ws://${host.includes(':') && !host.startsWith('[') ? `[${host}]` : host}:${port}/`;

describe('hosts', () => {
  test('names: letters, digits, hyphens inside, underscores; 63-character labels; 253 characters; a trailing dot', () => {
    const label63 = 'a'.repeat(63);
    const name253 = [label63, label63, label63, 'a'.repeat(61)].join('.');
    assert.equal(name253.length, 253);
    for (const h of ['localhost', 'example.com', 'EXAMPLE.com', 'a-b.example', '_srv._tcp.example.com', 'xn--mnchen-3ya.de', '123.com', 'x1', `${label63}.com`, name253, `${name253}.`, 'example.com.']) {
      assert.equal(value(parseHost(h), h.slice(0, 30)), h);
    }
    for (const bad of [`${'a'.repeat(64)}.com`, `${name253}a`, '-x.com', 'x-.com', 'a..b', '.', '..', '.example.com', 'exa mple.com', '*.example.com', 'example.com:80', 'http://x', 'a/b', 'a@b']) {
      error(parseHost(bad), bad.slice(0, 30));
    }
  });

  test('IPv4: four decimal octets 0–255, no leading zeros', () => {
    for (const h of ['0.0.0.0', '127.0.0.1', '255.255.255.255', '10.0.0.2', '[10.0.0.2]']) assert.equal(value(parseHost(h), h), h.replace(/[[\]]/g, ''));
    for (const bad of ['256.0.0.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1.2.3.04', '1.2.3.4.', '999.1.1.1', '123', '1.2.3.-1']) error(parseHost(bad), bad);
  });

  test('IPv6: every valid form, brackets optional and removed, zone kept', () => {
    const valid = ['::', '::1', '1::', '1:2:3:4:5:6:7:8', '1:2:3:4:5:6:7::', '::2:3:4:5:6:7:8', '1::8', 'FE80::1', 'fe80::1%eth0', '::ffff:1.2.3.4', '1:2:3:4:5:6:1.2.3.4', '::1.2.3.4', '0:0:0:0:0:0:0:1'];
    for (const h of valid) {
      assert.equal(value(parseHost(h), h), h);
      assert.equal(value(parseHost(`[${h}]`), h), h);
      assert.equal(value(parseHost(` [${h}] `), h), h);
      assert.ok(isIPv6(h), `node agrees ${h} is IPv6`);
    }
  });

  test('IPv6: malformed addresses are refused', () => {
    for (const bad of ['1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7:8::', '1::2::3', ':1::', '1:::2', ':::', ':', '1:2', '12345::', 'g::1', '1:2:3:4:5:6:7:1.2.3.4', '::ffff:01.2.3.4', '::1.2.3', 'fe80::1%', '[::1', '::1]', '[[::1]]', '::1%a b']) {
      error(parseHost(bad), bad);
    }
  });

  // Fixed (src/common/config-fields.ts): isIPv6 flattens both halves of "::" before looking for the
  // embedded IPv4 part, so "1.2.3.4::" (IPv4 before the "::") passes; and split('%', 2) drops anything
  // after a second "%", so "fe80::1%eth0%x" passes as if it were "fe80::1%eth0". Neither is an address
  // (node's net.isIPv6 and the WHATWG URL parser refuse both): the form and the file accept a host that
  // can never be connected to or listened on, and hostKey gives "fe80::1%eth0%x" the key of "fe80::1%eth0".
  test('IPv6: an IPv4 part before "::", or a second "%", is refused', () => {
    const accepted = ['1.2.3.4::', '1.2.3.4::1:2', 'fe80::1%eth0%x', 'fe80::1%eth0%'].filter((bad) => parseHost(bad).ok);
    assert.deepEqual(accepted, [], `node's isIPv6 refuses all of them: ${accepted.map((a) => isIPv6(a)).join(', ')}`);
    assert.notEqual(hostKey('fe80::1%eth0%x'), hostKey('fe80::1%eth0'));
  });

  test('whitespace around a host is trimmed; invisible characters are refused and shown escaped', () => {
    assert.equal(value(parseHost(' example.com\n')), 'example.com');
    assert.equal(value(parseHost('\ufeffexample.com\u00a0')), 'example.com');
    const zw = error(parseHost('example.com\u200b'));
    assert.ok(zw.includes('\\u200b'), zw);
    assert.equal(error(parseHost('   ')), 'must be a host name or IP address, not empty');
    assert.equal(error(parseHost('[]')), 'must be a host name or IP address, not empty');
    for (const bad of [5, null, undefined, ['x'], { host: 'x' }]) assert.match(error(parseHost(bad)), /^must be a host name or IP address, not /);
  });

  test('a non-ASCII name is refused (DNS names are written in their xn-- form)', () => {
    for (const h of ['münchen.de', 'пример.рф', 'bücher.example', 'exa\u0301mple.com']) error(parseHost(h), h);
    assert.equal(value(parseHost('xn--mnchen-3ya.de')), 'xn--mnchen-3ya.de');
  });

  // Fixed (src/common/config-fields.ts): a name is refused only when it is all digits and dots, so
  // names whose last label is numeric pass: "example.1", "a.b.c.08", "x.0", "a.0x1". A URL host
  // ending in a number is parsed as IPv4 (WHATWG), so these are invalid URLs: the remote client builds
  // `ws://example.1:7770/`, which `ws` refuses, and the remote never connects though the form and the file
  // accepted it. "0x7f.0.0.1" is worse: accepted as a *name*, it silently is 127.0.0.1 (and hostKey
  // does not see that it equals 127.0.0.1).
  test('a host the form accepts is the host the remote client connects to', () => {
    const hosts = ['example.com', 'localhost', 'example.com.', '127.0.0.1', '::1', '0:0:0:0:0:0:0:1', '::ffff:1.2.3.4', '1.2.3.4a', '1e3', 'example.1', 'a.b.c.08', 'x.0', 'a.0x1', '0x7f.0.0.1', '0x7f.1'];
    const broken: string[] = [];
    for (const h of hosts) {
      const r = parseHost(h);
      if (!r.ok) continue;
      let url: URL;
      try {
        url = new URL(clientUrl(r.value));
      } catch {
        broken.push(`${h} (invalid URL)`);
        continue;
      }
      const connected = url.hostname.replace(/^\[(.*)\]$/, '$1');
      if (hostKey(connected) !== hostKey(r.value)) broken.push(`${h} (connects to ${connected})`);
    }
    assert.deepEqual(broken, []);
  });

  test('hostKey: one key for every spelling of one host, different keys for different hosts', () => {
    const same: string[][] = [
      ['::1', '[::1]', '0:0:0:0:0:0:0:1', '0000:0000:0000:0000:0000:0000:0000:0001', ' [::1] '],
      ['example.com', 'EXAMPLE.com', 'example.com.', '[Example.COM.]', ' example.com '],
      ['fe80::1%eth0', 'FE80:0:0:0:0:0:0:1%eth0', '[fe80::1%eth0]'],
      ['::ffff:1.2.3.4', '::ffff:102:304', '::FFFF:0102:0304'],
      ['127.0.0.1', '[127.0.0.1]'],
    ];
    for (const group of same) {
      const keys = new Set(group.map(hostKey));
      assert.equal(keys.size, 1, `${group.join(' | ')} → ${[...keys].join(' | ')}`);
    }
    const firsts = same.map((g) => hostKey(g[0]!));
    assert.equal(new Set(firsts).size, firsts.length);
    assert.notEqual(hostKey('::1'), hostKey('::2'));
    assert.notEqual(hostKey('fe80::1%eth0'), hostKey('fe80::1%eth1'));
  });

  test('hostKey is idempotent, and agrees with the host parseHost keeps', () => {
    for (const h of ['::1', '[::1]', 'A.b.', '::FFFF:1.2.3.4', 'fe80::1%Eth0', '10.0.0.1', 'localhost']) {
      assert.equal(hostKey(hostKey(h)), hostKey(h), h);
      assert.equal(hostKey(value(parseHost(h))), hostKey(h), h);
    }
  });

  // Fixed (src/common/settings-checks.ts): the settings form identifies a remote by remoteKey, which
  // only trims, unbrackets and lower-cases, while the CLI and the config module (config-args.ts
  // sameRemote, edits.ts findRemote) use hostKey. So the form lets "example.com" and "example.com." or
  // "::1" and "0:0:0:0:0:0:0:1" be two remotes (the CLI says they are one), and the host, which matches
  // remotes by remoteKey when saving (src/host/settings.ts), loses a remote's registration URL when
  // its host is respelled.
  test('the settings form tells remotes apart exactly as hostKey does', () => {
    const pairs: [string, string][] = [
      ['example.com', 'example.com.'],
      ['::1', '0:0:0:0:0:0:0:1'],
      ['::ffff:1.2.3.4', '::ffff:102:304'],
      ['Example.org', 'example.org'],
    ];
    for (const [a, b] of pairs) {
      assert.equal(hostKey(a) === hostKey(b), true);
      assert.equal(remoteKey({ host: a, port: 7770 }), remoteKey({ host: b, port: 7770 }), `${a} vs ${b}`);
    }
  });

  test('server.host: unset is loopback, AUTO and ANY in any case, else a host', () => {
    assert.equal(value(parseServerHost(null)), '127.0.0.1');
    assert.equal(value(parseServerHost(undefined)), '127.0.0.1');
    assert.equal(value(parseServerHost(null)), CONFIG_KEYS.server.host.default, 'the default of the table');
    for (const w of ['auto', 'AUTO', ' Auto ', 'any', 'ANY\n']) assert.equal(value(parseServerHost(w)), w.trim().toUpperCase());
    assert.equal(value(parseServerHost('[::]')), '::');
    assert.equal(value(parseServerHost('autoo')), 'autoo', 'a name that merely starts like AUTO');
    for (const bad of ['', 'AUTO:1', 'any where', 5, true]) assert.match(error(parseServerHost(bad)), /AUTO or ANY, not /);
  });
});

// ───────────────────────────── remotes ─────────────────────────────

describe('HOST:PORT[:TLS] remotes', () => {
  test('host, port and an optional TLS word', () => {
    const cases: [string, { host: string; port: number; tls: boolean }][] = [
      ['example.com:7770', { host: 'example.com', port: 7770, tls: false }],
      [' example.com:7770 ', { host: 'example.com', port: 7770, tls: false }],
      ['example.com : 7770', { host: 'example.com', port: 7770, tls: false }],
      ['example.com:443:tls', { host: 'example.com', port: 443, tls: true }],
      ['example.com:443:TLS', { host: 'example.com', port: 443, tls: true }],
      ['example.com:443:notls', { host: 'example.com', port: 443, tls: false }],
      ['example.com:443: yes ', { host: 'example.com', port: 443, tls: true }],
      ['example.com:443:0', { host: 'example.com', port: 443, tls: false }],
      ['[::1]:7770', { host: '::1', port: 7770, tls: false }],
      ['[fe80::1%eth0]:7770:on', { host: 'fe80::1%eth0', port: 7770, tls: true }],
      ['10.0.0.2:1', { host: '10.0.0.2', port: 1, tls: false }],
      ['h:65535', { host: 'h', port: 65535, tls: false }],
    ];
    for (const [s, r] of cases) assert.deepEqual(value(parseRemoteSpec(s), s), r);
    assert.deepEqual(value(parseRemoteSpec(`${HOSTED_REMOTE.host}:${HOSTED_REMOTE.port}:tls`)), { ...HOSTED_REMOTE });
  });

  test('bad parts are named: host, port or TLS flag', () => {
    assert.match(error(parseRemoteSpec('ex ample.com:7770')), /^has a bad host: /);
    assert.match(error(parseRemoteSpec(':7770')), /^has a bad host: .*not empty$/);
    assert.match(error(parseRemoteSpec('[]:7770')), /^has a bad host: /);
    for (const p of ['0', '65536', '', '+1', '7770.0', '１２３']) assert.match(error(parseRemoteSpec(`example.com:${p}`)), /^has a bad port: /, p);
    for (const t of ['', 'maybe', 'ssl', '2']) assert.match(error(parseRemoteSpec(`example.com:7770:${t}`)), /^has a bad TLS flag: use tls, notls, or /, t);
  });

  test('an unbracketed IPv6 address is refused with a hint; wrong shapes are refused', () => {
    for (const s of ['::1:7770', '1:2:3:4:7770', 'fe80::1:7770:tls']) assert.match(error(parseRemoteSpec(s)), /put an IPv6 address in brackets/, s);
    for (const s of ['example.com', '', '   ', 'a:b:c:d', '[::1]', '[::1]7770', '[::1]:7770:tls:x', 'example.com:7770:tls:x']) error(parseRemoteSpec(s), s);
    for (const v of [null, undefined, 7770, ['example.com', 7770], { host: 'example.com', port: 7770 }]) assert.match(error(parseRemoteSpec(v)), /^must look like HOST:PORT or HOST:PORT:tls, not /);
  });

  test('without TLS allowed, any third part is refused with the shorter shape', () => {
    assert.deepEqual(value(parseRemoteSpec('example.com:7770', { allowTls: false })), { host: 'example.com', port: 7770, tls: false });
    for (const s of ['example.com:7770:tls', 'example.com:7770:notls', 'example.com:7770:']) {
      assert.match(error(parseRemoteSpec(s, { allowTls: false })), /^must look like HOST:PORT, not /, s);
    }
  });

  test('a parsed remote is a remote the config file accepts, unchanged', () => {
    for (const s of ['example.com:7770', '[::1]:7770:tls', '10.0.0.2:443:y', 'EXAMPLE.org.:1']) {
      const spec = value(parseRemoteSpec(s), s);
      const r = resolve({ remotes: [spec] });
      assert.deepEqual(r.problems, [], s);
      assert.deepEqual(r.config.remotes, [{ ...spec, registration: null }], s);
    }
  });
});

// ───────────────────────────── URLs, secrets, GHIDs ─────────────────────────────

describe('URLs and secrets', () => {
  test('registration URLs: http or https with a host, normalized', () => {
    const cases: [string, string][] = [
      ['https://reg.example.com/signup', 'https://reg.example.com/signup'],
      [' HTTPS://Reg.Example.COM ', 'https://reg.example.com/'],
      ['http://[::1]:8080/x', 'http://[::1]:8080/x'],
      ['https://münchen.de/', 'https://xn--mnchen-3ya.de/'],
      ['https://x.com/a b', 'https://x.com/a%20b'],
    ];
    for (const [u, href] of cases) assert.equal(value(parseHttpUrl(u), u), href);
    for (const bad of ['ftp://x.com', 'javascript:alert(1)', 'file:///etc/passwd', 'example.com', 'https://', 'https://exa mple.com', 'https://x.com:65536/', 'ws://x.com', '', 5, null]) {
      assert.match(error(parseHttpUrl(bad), String(bad)), /^must be an http:\/\/ or https:\/\/ URL, not /);
    }
  });

  test('postgres URLs: postgres:// or postgresql://, host optional; the message never repeats the text', () => {
    for (const u of ['postgres://', 'postgresql://u:p@h:5432/db', 'postgres://u@/db?host=/run/postgresql', 'POSTGRES://h/db']) assert.equal(value(parsePostgresUrl(u), u), u);
    assert.equal(value(parsePostgresUrl(' postgres://h/db\n')), 'postgres://h/db');
    for (const bad of ['mysql://u:hunter2@h/db', 'postgres://u:hunter2 @h/db', 'postgres:/u:hunter2@h', '']) {
      const msg = error(parsePostgresUrl(bad), bad);
      assert.equal(msg, 'must be a postgres:// or postgresql:// URL');
    }
    assert.equal(error(parsePostgresUrl(5)), 'must be a postgres:// or postgresql:// URL, not 5');
  });

  test('shared secrets: 32 to 256 printable ASCII characters, trimmed; never echoed', () => {
    assert.equal(value(parseSharedSecret('a'.repeat(32))), 'a'.repeat(32));
    assert.equal(value(parseSharedSecret('~'.repeat(256))), '~'.repeat(256));
    assert.equal(value(parseSharedSecret(`  ${'!'.repeat(32)}\n`)), '!'.repeat(32));
    for (const bad of ['a'.repeat(31), 'a'.repeat(257), `${'a'.repeat(31)} b`, 'é'.repeat(32), `${'a'.repeat(32)}\u0000`, `${'a'.repeat(31)}\u00a0x`]) {
      assert.equal(error(parseSharedSecret(bad)), 'must be 32 to 256 printable characters without spaces');
    }
    assert.equal(error(parseSharedSecret(null)), 'must be 32 to 256 printable characters without spaces, not null');
  });

  test('secret text: the canonical SH record, trimmed; the message never echoes it', () => {
    const s = Secret.random().text;
    assert.equal(value(parseSecretText(s)), s);
    assert.equal(value(parseSecretText(` ${s}\n`)), s);
    for (const bad of [s.slice(1), `${s}=`, s.slice(0, 71), `A${s.slice(1)}`, s.replace('=', 'A'), '']) {
      const msg = error(parseSecretText(bad));
      assert.equal(msg, 'must be a secret (72 characters of URL-safe base64 of an SH record)');
    }
    assert.match(error(parseSecretText(42)), /, not 42$/);
  });

  test('secret text: the browser-safe check agrees with Secret.fromText on mutated and re-headed inputs', () => {
    const alphabet = `${B64}=+/. `;
    let seen = 0;
    for (let i = 0; i < 600; i++) {
      const s = Secret.random().text;
      const at = (i * 13) % 72;
      const mutated = s.slice(0, at) + alphabet[(i * 7) % alphabet.length] + s.slice(at + 1);
      let strict: boolean;
      try {
        Secret.fromText(mutated);
        strict = true;
      } catch {
        strict = false;
      }
      assert.equal(parseSecretText(mutated).ok, strict, mutated);
      if (strict) seen++;
    }
    assert.ok(seen > 0, 'some mutations are still secrets');
    // Version, cipher and magic bytes each matter.
    const rec = Secret.random().toRecord();
    for (const [at, byte] of [[0, 0x54], [1, 0x49], [2, 1], [3, 1], [4, 2]] as const) {
      const bad = Buffer.from(rec);
      bad[at] = byte;
      const text = bad.toString('base64url') + '=';
      assert.equal(parseSecretText(text).ok, false, `byte ${at}`);
      assert.throws(() => Secret.fromText(text));
    }
  });

  test('GHID text: trimmed, canonical, algorithm 1, and the same verdict as Ghid.fromText on the trimmed text', () => {
    const g = Ghid.fromDigest(Buffer.alloc(64, 0xab)).text;
    assert.equal(value(parseGhidText(`\t${g} `)), g);
    for (const bad of [g.slice(1), `${g}=`, `${g.slice(0, 87)}A`, g.toLowerCase(), `${g.slice(0, 10)}\u200b${g.slice(11)}`, '', 5, null]) {
      const r = parseGhidText(bad);
      assert.equal(r.ok, false, String(bad).slice(0, 20));
      if (typeof bad === 'string') assert.equal(Ghid.tryText(bad.trim()), null);
    }
    const algo0 = Buffer.concat([Buffer.of(0), Buffer.alloc(64, 1)]).toString('base64url') + '=';
    assert.equal(parseGhidText(algo0).ok, false);
  });
});

// ───────────────────────────── showValue ─────────────────────────────

describe('showValue', () => {
  test('non-strings by kind, strings JSON-quoted', () => {
    const cases: [unknown, string][] = [
      [undefined, 'nothing'],
      [null, 'null'],
      [[1], 'a list'],
      [new Set([1]), 'a list'],
      [new Uint8Array(2), 'binary data'],
      [new Date(0), 'a date'],
      [{ a: 1 }, 'a mapping'],
      [new Map(), 'a mapping'],
      [Object.create(null), 'a mapping'],
      [{ toString: () => { throw new Error('never called'); } }, 'a mapping'],
      [true, 'true'],
      [42, '42'],
      [Number.NaN, 'NaN'],
      ['x', '"x"'],
      ['a"b', '"a\\"b"'],
      ['a\nb\t', '"a\\nb\\t"'],
      ['\u0000\u001b', '"\\u0000\\u001b"'],
    ];
    for (const [v, shown] of cases) assert.equal(showValue(v), shown, String(shown));
  });

  test('long values are cut to 40 characters with an ellipsis, between code points', () => {
    assert.equal(showValue('a'.repeat(38)), `"${'a'.repeat(38)}"`);
    assert.equal(showValue('a'.repeat(39)), `"${'a'.repeat(38)}…`);
    assert.equal(showValue('a'.repeat(1_000_000)), `"${'a'.repeat(38)}…`);
    for (const unit of ['😀', 'é', 'a😀']) {
      const shown = showValue(unit.repeat(100));
      assert.equal(Array.from(shown).length, 40, unit);
      assert.doesNotMatch(shown, /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/, `${unit}: no lone surrogate`);
    }
  });

  test('invisible format characters and line separators are shown escaped', () => {
    assert.equal(showValue('x\u200by'), '"x\\u200by"');
    assert.equal(showValue('a\u202eb'), '"a\\u202eb"');
    assert.equal(showValue('\ufeffa'), '"\\ufeffa"');
    assert.equal(showValue('a\u2028b\u2029'), '"a\\u2028b\\u2029"');
    assert.equal(showValue('a\u00adb'), '"a\\u00adb"');
  });

  // Fixed (src/common/config-fields.ts): only \p{Cf}, \p{Zl}, \p{Zp} are escaped, and JSON.stringify
  // escapes only U+0000–U+001F; the C1 controls U+0080–U+009F (NEL U+0085, CSI U+009B, …) go into the
  // message raw. They are invisible (or act as a line break / terminal control) in the CLI and logs
  // where these messages are printed, so "not "ab"" calls a plain-looking value bad — exactly what the
  // escaping is there to prevent.
  test('C1 control characters are shown escaped too', () => {
    for (const c of ['\u0085', '\u009b', '\u0080', '\u009f']) {
      const shown = showValue(`a${c}b`);
      assert.ok(!shown.includes(c), `U+${c.charCodeAt(0).toString(16).padStart(4, '0')} shown raw: ${JSON.stringify(shown)}`);
    }
  });

  // Fixed (src/common/config-fields.ts): an invisible character outside the BMP (a tag character
  // U+E0001–U+E007F, as in flag emoji, or U+1D173) is escaped with charCodeAt(0), its high surrogate
  // alone: "\u{E0041}" is shown as "\udb40", the low half dropped, so the message names a lone surrogate
  // that is not in the value, and every tag character looks the same.
  test('an invisible character outside the BMP is escaped as itself', () => {
    const shown = showValue('x\u{E0041}\u{E0042}');
    assert.notEqual(shown, '"x\\udb40\\udb40"');
    assert.ok(/\\u\{e0041\}|\\udb40\\udc41/i.test(shown), shown);
  });
});

// ───────────────────────────── agreement with the config module ─────────────────────────────

const CTX = { dir: '/srv/hgx-fields-test', homedir: '/home/fields-user', lineOf: () => null };
const resolve = (tree: unknown): Resolved => resolveConfig(tree, CTX);

/** Every key of the table a single value sets (kdf, GHID lists and remotes are checked elsewhere). */
const singleKeys = keysOf().filter(({ path, spec }) => !path[0]!.endsWith('[]') && !['kdf', 'ghid-list'].includes(spec.kind));

const CORPUS: unknown[] = [
  0, 1, 5, 20, 80, 7770, 65535, 65536, -1, 1.5, 0.5, 0.001, 2 ** 40, Number.NaN,
  '0', '1', '80', ' 80 ', '65536', '0.5', '16 MiB', '64 KiB', '1 GiB', '2048 GiB',
  true, false, 'yes', 'off', 'On', 'y', 't',
  '', ' ', 'x', 'auto', 'ANY', 'localhost', 'example.org', '::1', '[::1]', '10.0.0.2', 'ex ample',
  'info', 'LOUD', 'warn', 'shouty', 'all', 'Known', 'ask', 'files', 'postgres', 'open', 'invite', 'approval',
  'postgres://h/db', 'https://reg.example.org/', 'ftp://x', '/abs/path', 'rel/path', '~', '~/x', 'a\u0000b',
  'a'.repeat(40), '!'.repeat(32), [], {}, ['x'], { a: 1 },
];

describe('agreement with the config module (config-keys.ts table, resolve.ts, schema.ts types)', () => {
  test('every default in the table passes its own validator unchanged', () => {
    for (const { path, spec } of keysOf()) {
      if (spec.default === null || spec.kind === 'ghid-list') continue;
      const r = parserOf(spec)(spec.default);
      assert.deepEqual(r, { ok: true, value: spec.default }, path.join('.'));
    }
  });

  test('for every key and every value, the file gives the field validator\'s verdict and value', () => {
    const disagreements: string[] = [];
    for (const { path, spec } of singleKeys) {
      for (const v of CORPUS) {
        const tree: Record<string, unknown> = {};
        putIn(tree, path, v);
        const field = parserOf(spec)(v);
        const r = resolve(tree);
        const here = (p: readonly (string | number)[]) => p.length === path.length && p.every((s, i) => s === path[i]);
        const problem = r.problems.find((p) => here(p.path));
        // An unused key's bad value is a warning, not a problem (publish_burst's ignored-value warning
        // is about another key, not about its value).
        const ignored = spec.unused ? r.warnings.find((w) => w.code === 'ignored-value' && w.field === path.join('.')) : undefined;
        const refusedByFile = problem !== undefined || ignored !== undefined;
        const label = `${path.join('.')} = ${JSON.stringify(v)}`;
        if (field.ok === refusedByFile) {
          disagreements.push(`${label}: field ${field.ok ? 'accepts' : 'refuses'}, file ${refusedByFile ? 'refuses' : 'accepts'}`);
          continue;
        }
        if (!field.ok) {
          // The file's problem is the field's words (a path's too), so the form and `config` read alike.
          const words = problem?.problem ?? ignored!.message;
          if (!words.includes(field.error)) disagreements.push(`${label}: file says "${words}", field says "${field.error}"`);
          continue;
        }
        if (['path', 'ghid', 'secret'].includes(spec.kind)) continue; // resolved to absolute paths / engine values
        let resolved: unknown = r.config;
        for (const seg of path) resolved = (resolved as Record<string, unknown>)[seg];
        if (!Object.is(resolved, field.value) && JSON.stringify(resolved) !== JSON.stringify(field.value)) {
          disagreements.push(`${label}: file resolves ${JSON.stringify(resolved)}, field ${JSON.stringify(field.value)}`);
        }
      }
    }
    assert.deepEqual(disagreements, []);
  });

  test('a GHID or secret the field accepts is one the config module resolves to the same text', () => {
    const g = Ghid.fromDigest(Buffer.alloc(64, 7)).text;
    const s = Secret.random().text;
    const r = resolve({ user: { fingerprint: ` ${g} `, root_secret: `${s}\n` } });
    assert.deepEqual(r.problems, []);
    assert.equal(r.config.user.fingerprint?.text, value(parseGhidText(` ${g} `)));
    assert.equal(r.config.user.root_secret?.text, value(parseSecretText(`${s}\n`)));
  });

  test('a remote item is judged by the same host and port validators', () => {
    for (const [host, port] of [['example.org', 7770], ['[::1]', '7770'], ['ex ample', 7770], ['example.org', 0], ['1.2.3.4::', 1]] as const) {
      const fieldOk = parseHost(host).ok && parsePort(port).ok;
      const r = resolve({ remotes: [{ host, port }] });
      assert.equal(r.problems.length === 0, fieldOk, `${host}:${port}`);
      if (fieldOk) assert.deepEqual(r.config.remotes, [{ host: value(parseHost(host)), port: value(parsePort(port)), tls: false, registration: null }]);
    }
  });

  test('the validator kinds of the table are exactly those the field module provides', () => {
    const kinds = new Set(keysOf().map(({ spec }) => spec.kind));
    for (const kind of kinds) assert.equal(typeof parserOf({ kind, default: null, reference: false, help: '', min: 0, max: 1 } as unknown as KeySpec), 'function', kind);
  });
});

test('an internationalised host name is refused with its ASCII form to write instead', () => {
  assert.deepEqual(parseHost('bücher.example'), { ok: false, error: 'must be a host name in its ASCII form: for "bücher.example" write "xn--bcher-kva.example"' });
  assert.deepEqual(parseHost('xn--bcher-kva.example'), { ok: true, value: 'xn--bcher-kva.example' });
  assert.deepEqual(parseHost('bü cher.example'), { ok: false, error: 'must be a host name or IP address, not "bü cher.example"' });
});
