// Seeded damage inside a Python-made account: one system object's pickle is mutated and
// encrypted again under its real secret, so that only its content is wrong (the signature check
// is the object source's job). Opening the account must then succeed or fail with a typed
// Hypergolix error naming what is damaged, never a TypeError or a RangeError from a shape the
// reader did not expect. HGX_FUZZ_REQUESTS and HGX_FUZZ_SEED run other campaigns.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { HypergolixError, Secret, type Geoc } from '../../../src/core/golix/index.js';
import { openReferenceAccount } from '../../../src/core/legacy/reference-account.js';
import type { ObjectSource } from '../../../src/core/legacy/source.js';
import { REFERENCE_ACCOUNTS, ghid, poolOf, referenceAccounts } from '../../fixtures/legacy.js';
import { mutate, pick, rng } from '../../fixtures/mutate.js';

const ACCOUNTS = Number(process.env.HGX_FUZZ_REQUESTS ?? 400);
const SEED = Number(process.env.HGX_FUZZ_SEED ?? 0x1e6a);

test(`${ACCOUNTS} accounts with one damaged system object: each opens or fails with a typed error`, async (t) => {
  const e = referenceAccounts().accounts.alice;
  const pool = poolOf(join(REFERENCE_ACCOUNTS, e.ghidcache));
  const names = Object.keys(e.system_objects);
  const rand = rng(SEED);
  const tally: Record<string, number> = {};
  for (let i = 0; i < ACCOUNTS; i++) {
    const name = names[pick(rand, names.length)]!;
    const entry = e.system_objects[name]!;
    const secret = Secret.fromText(entry.container_secret);
    const real = pool.get(ghid(entry.container)) as Geoc;
    const plaintext = secret.apply(real.payload);
    let damaged = mutate(plaintext, rand, 40);
    while (damaged.equals(plaintext)) damaged = mutate(plaintext, rand, 40);
    const forged: Geoc = { ...real, payload: secret.apply(damaged) };
    const source: ObjectSource = (g) => (g.text === entry.container ? forged : pool.get(g));
    let outcome: string;
    try {
      await openReferenceAccount({ source, userId: ghid(e.user_id), rootSecret: Secret.fromText(e.root_secret) });
      outcome = 'opened';
    } catch (err) {
      if (!(err instanceof HypergolixError)) assert.fail(`account ${i} (${name} damaged: ${damaged.toString('hex').slice(0, 120)}): ${err instanceof Error ? err.stack : String(err)}`);
      outcome = err.name;
    }
    tally[`${name} ${outcome}`] = (tally[`${name} ${outcome}`] ?? 0) + 1;
  }
  t.diagnostic(`seed ${SEED}: ${Object.entries(tally).map(([k, n]) => `${k}: ${n}`).join(', ')}`);
  assert.ok(Object.keys(tally).some((k) => !k.endsWith('opened')), JSON.stringify(tally));
});
