// server.public_names (src/common/config-fields.ts: parsePublicName, parsePublicNames; the kind
// 'name-list' of src/common/config-keys.ts): the names a server gives registration challenges
// under, normalized as challenges carry them, and the table entry that declares the key.
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { parsePublicName, parsePublicNames } from '../../src/common/config-fields.js';
import { CONFIG_KEYS } from '../../src/common/config-keys.js';
import { parserOf } from '../../src/common/config-parsers.js';
import { serverName } from '../../src/core/registration/challenges.js';

const good = (v: unknown) => {
  const r = parsePublicName(v);
  assert.ok(r.ok, `${JSON.stringify(v)}: ${r.ok ? '' : r.error}`);
  return r.value;
};
const error = (v: unknown) => {
  const r = parsePublicName(v);
  assert.ok(!r.ok, `${JSON.stringify(v)} was accepted as ${r.ok ? r.value : ''}`);
  return r.error;
};

describe('parsePublicName', () => {
  test('a name, an address or either with a port, normalized as a challenge names the server', () => {
    const cases: [string, string][] = [
      ['hgx.example.org', 'hgx.example.org'],
      ['  HGX.Example.ORG  ', 'hgx.example.org'],
      ['hgx.example.org.', 'hgx.example.org'],
      ['hgx.example.org:7770', 'hgx.example.org:7770'],
      ['hgx.example.org:07770', 'hgx.example.org:7770'],
      ['localhost', 'localhost'],
      ['my_host.example', 'my_host.example'],
      ['10.0.0.2', '10.0.0.2'],
      ['10.0.0.2:443', '10.0.0.2:443'],
      ['[::1]', '[::1]'],
      ['[0:0:0:0:0:0:0:1]:7770', '[::1]:7770'],
      ['[2001:DB8::1]:443', '[2001:db8::1]:443'],
    ];
    for (const [given, normal] of cases) {
      assert.equal(good(given), normal, given);
      // What the registration endpoints compare names with accepts every normalized name unchanged.
      assert.equal(serverName(normal), normal, normal);
    }
  });

  test('a last label that is a number is refused: a URL parser reads it as an IPv4 address', () => {
    for (const v of ['example.1', 'hgx.0x7f', '1.2.3', '999.1.1.1', 'example.123:7770']) assert.match(error(v), /must be a host name or IP address, optionally with :PORT/, v);
  });

  test('IPv6 only in brackets, and brackets only for IPv6; no zone', () => {
    assert.match(error('::1'), /in brackets: \[2001:db8::1\]:7770/);
    assert.match(error('2001:db8::1:443'), /in brackets/);
    assert.match(error('[example.org]'), /must be a host name or IP address/);
    assert.match(error('[10.0.0.2]:80'), /must be a host name or IP address/);
    assert.match(error('[fe80::1%eth0]'), /must be a host name or IP address/);
  });

  test('bad ports, blanks, paths, schemes and non-text are refused with the value shown', () => {
    assert.match(error('hgx.example.org:0'), /has a bad port: must be a whole number from 1 to 65535, not "0"/);
    assert.match(error('hgx.example.org:70000'), /bad port/);
    assert.match(error('hgx.example.org:'), /bad port/);
    assert.match(error('hgx.example.org:80:tls'), /must be a host name/);
    for (const v of ['', '  ', 'https://hgx.example.org', 'hgx.example.org/register', 'hg x.org', '-hgx.org', 'hgx.org-', '_acme.example', 'a..b', 'a\u0000b']) {
      assert.match(error(v), /must be a host name or IP address, optionally with :PORT/, JSON.stringify(v));
    }
    assert.match(error(7770), /not 7770$/);
    assert.match(error(null), /not null$/);
    assert.match(error({ host: 'a' }), /not a mapping$/);
    assert.match(error('x'.repeat(300)), /not "x{20,}/);
    // 253 characters of name and a port: longer than a challenge can name.
    const long = `${'a'.repeat(63)}.${'b'.repeat(63)}.${'c'.repeat(63)}.${'d'.repeat(61)}`;
    assert.equal(good(long), long);
    assert.match(error(`${long}:7770`), /must be a host name/);
  });
});

describe('parsePublicNames', () => {
  test('a list, or text separated by commas, spaces or lines; duplicates once; empty is none', () => {
    assert.deepEqual(parsePublicNames([]), { ok: true, value: [] });
    assert.deepEqual(parsePublicNames(''), { ok: true, value: [] });
    assert.deepEqual(parsePublicNames(' , \n'), { ok: true, value: [] });
    assert.deepEqual(parsePublicNames(['hgx.example.org', '[::1]:7770']), { ok: true, value: ['hgx.example.org', '[::1]:7770'] });
    assert.deepEqual(parsePublicNames('hgx.example.org, HGX.example.org.\nb.example:7770 c.example'), {
      ok: true,
      value: ['hgx.example.org', 'b.example:7770', 'c.example'],
    });
  });

  test('a bad name is named by its place; something else than a list or text is refused', () => {
    assert.deepEqual(parsePublicNames(['a.example', 'example.1']), { ok: false, error: 'name 2 must be a host name or IP address, optionally with :PORT, not "example.1"' });
    assert.deepEqual(parsePublicNames('a.example,::1'), {
      ok: false,
      error: 'name 2 must be a host name or IP address, optionally with :PORT (an IPv6 address in brackets: [2001:db8::1]:7770), not "::1"',
    });
    // One name alone is not numbered.
    assert.deepEqual(parsePublicNames('a.example:0'), { ok: false, error: 'has a bad port: must be a whole number from 1 to 65535, not "0"' });
    assert.deepEqual(parsePublicNames(['a.example', 5]), { ok: false, error: 'name 2 must be a host name or IP address, optionally with :PORT, not 5' });
    for (const v of [5, true, { a: 1 }, null]) assert.match((parsePublicNames(v) as { error: string }).error, /^must be a list of host names \(host or host:port\), not /);
  });

  test('the table declares server.public_names as a project key with [] for any name, checked by parsePublicNames', () => {
    const spec = CONFIG_KEYS.server.public_names;
    assert.equal(spec.kind, 'name-list');
    assert.equal(spec.reference, false);
    assert.deepEqual(spec.default, []);
    assert.equal('ui' in spec, false, 'the settings page does not show the server registration keys');
    assert.equal(parserOf(spec), parsePublicNames);
    // Beside the other registration keys.
    const keys = Object.keys(CONFIG_KEYS.server);
    assert.equal(keys.indexOf('public_names'), keys.indexOf('registration_webhook_secret') - 1);
  });
});
