// Seeded damage to hypergolix.yml: every damaged text either validates or is a ConfigError
// naming the file (never another exception, never a hang on aliases or nested keys), and a
// document that validated reads as the same config once rendered again, as a save renders it.
// HGX_FUZZ_REQUESTS and HGX_FUZZ_SEED run other campaigns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ConfigError, validateConfig } from '../../../src/core/config/index.js';
import { defaultDocument, parseText } from '../../../src/core/config/document.js';
import { mutate, pick, rng } from '../../fixtures/mutate.js';
import { ghidText, secretText } from './helpers.js';

const TEXTS = Number(process.env.HGX_FUZZ_REQUESTS ?? 3000);
const SEED = Number(process.env.HGX_FUZZ_SEED ?? 0xc0f1);
const ctx = { file: '/x/hypergolix.yml', dir: '/x', homedir: '/home/u' };

const full = `process:
  ghidcache: ./ghidcache
  ipc_port: 7772
instrumentation: {verbosity: debug, debug: true}
user:
  fingerprint: ${ghidText()}
  user_id: ${ghidText()}
  root_secret: ${secretText()}
remotes:
  - {host: hgx.example.org, port: 7770, tls: true}
  - host: 127.0.0.1
    port: 7771
server:
  host: AUTO
  port: 7770
  max_message_bytes: 1048576
account:
  kdf: {algorithm: scrypt, n: 131072, r: 8, p: 1}
sharing:
  accept: ask
`;
const seeds = [full, String(defaultDocument('/x'))];

/** Lines and values that YAML parsers and schema checks most often get wrong. */
const ODD_LINES = [
  'a: &x [*x]',
  'remotes: *nothing',
  'server: !!binary aGVsbG8=',
  'server: !!js/function "function () {}"',
  'process: {ipc_port: 99999999999999999999999}',
  'remotes: [{host: "\\u0000", port: -1}]',
  '<<: {server: {port: 1}}',
  'process:\n  process:\n    process: {}',
  'user: {fingerprint: [1, 2]}',
  'account: {kdf: {algorithm: scrypt, n: 1e400, r: .nan, p: .inf}}',
  '"\\ud800": 1',
  'server:\n\tport: 7770',
  '%YAML 9.9\n---',
  '---\n...\n---',
  `remotes: [${Array.from({ length: 100 }, () => '{host: h, port: 1}').join(', ')}]`,
];

function damage(text: string, rand: () => number): string {
  switch (pick(rand, 4)) {
    case 0:
      return mutate(Buffer.from(text, 'utf8'), rand, 200).toString('utf8');
    case 1: {
      const lines = text.split('\n');
      lines.splice(pick(rand, lines.length + 1), 0, ODD_LINES[pick(rand, ODD_LINES.length)]!);
      return lines.join('\n');
    }
    case 2: {
      const lines = text.split('\n');
      const i = pick(rand, lines.length);
      // Drop a line, or repeat it (a duplicate key), or shift its indentation.
      const op = pick(rand, 3);
      if (op === 0) lines.splice(i, 1);
      else if (op === 1) lines.splice(i, 0, lines[i]!);
      else lines[i] = (rand() < 0.5 ? ' ' : '') + lines[i]!.replace(/^ /, '');
      return lines.join('\n');
    }
    default: {
      // A value replaced by one of another kind.
      const values = ['null', '~', '[]', '{}', '"x"', '0', '-1', '1.5', 'true', 'yes', '0x10', "'7770'", '"' + 'x'.repeat(3000) + '"'];
      return text.replace(/: [^\n{[]+/g, (m) => (rand() < 0.15 ? `: ${values[pick(rand, values.length)]}` : m));
    }
  }
}

test(`${TEXTS} damaged config files: each validates (and reads the same once rendered again) or is a ConfigError naming the file`, (t) => {
  const rand = rng(SEED);
  const tally = { valid: 0, refused: 0 };
  for (let i = 0; i < TEXTS; i++) {
    const text = damage(seeds[pick(rand, seeds.length)]!, rand);
    try {
      const { config } = validateConfig(text, ctx);
      // What a save writes (the document rendered again) must read back as the same config.
      assert.deepEqual(validateConfig(parseText(text).doc, ctx).config, config, `text ${i}: rendered again, it reads differently`);
      tally.valid++;
    } catch (err) {
      if (!(err instanceof ConfigError)) assert.fail(`text ${i} threw ${String(err)}:\n${text.slice(0, 400)}`);
      assert.match(err.message, /hypergolix\.yml/, `text ${i}: the error names the file`);
      tally.refused++;
    }
  }
  t.diagnostic(`seed ${SEED}: ${JSON.stringify(tally)}`);
  assert.ok(tally.valid > 0 && tally.refused > 0, JSON.stringify(tally));
});
