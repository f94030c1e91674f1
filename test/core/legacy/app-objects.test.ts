import { test } from 'node:test';
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { Ghid, Secret, frameOf, fromB64url, makeUpdate, type GolixObject } from '../../../src/core/golix/index.js';
import { open2016Account } from '../../../src/core/legacy/account-2016.js';
import { readAppObjects, type LegacyAppObject } from '../../../src/core/legacy/app-objects.js';
import type { LegacyAccount } from '../../../src/core/legacy/legacy-account.js';
import { openReferenceAccount } from '../../../src/core/legacy/reference-account.js';
import type { BindingSource, ObjectSource } from '../../../src/core/legacy/source.js';
import { API_ID_PICKLE, API_ID_RAW, encodeAppObject } from '../../../src/core/objects/hgxd.js';
import {
  ACCOUNTS_2016,
  KDF_2016,
  REFERENCE_ACCOUNTS,
  SERVER_CACHE,
  STATE_2016,
  engineOf,
  ghid,
  poolOf,
  referenceAccounts,
  type AppObjectEntry,
} from '../../fixtures/legacy.js';
import { V2016_DIRS, v16Identity } from '../../fixtures/vectors.js';

const server = engineOf(SERVER_CACHE);

/** The account from its root secret (the password's cost is the account tests' business). */
async function reference(name: 'alice' | 'bob', from: 'own' | 'server'): Promise<{ account: LegacyAccount; get: ObjectSource; bindingsOf: BindingSource }> {
  const e = referenceAccounts().accounts[name];
  const { get, bindingsOf } = from === 'own' ? poolOf(join(REFERENCE_ACCOUNTS, e.ghidcache)) : await server;
  const account = await openReferenceAccount({ source: get, userId: ghid(e.user_id), rootSecret: Secret.fromText(e.root_secret) });
  return { account, get, bindingsOf };
}

function expectObject(found: LegacyAppObject[], want: AppObjectEntry, author: string, what: string): LegacyAppObject {
  const o = found.find((x) => x.ghid.text === want.ghid);
  assert.ok(o, `${what} ${want.ghid.slice(0, 12)} was not found`);
  assert.ok(o.state.equals(fromB64url(want.state)), `${what}: state`);
  assert.ok(o.apiId.equals(fromB64url(want.api_id)), `${what}: api_id`);
  assert.equal(o.container.text, want.container, `${what}: current container`);
  assert.equal(o.dynamic, want.binding_type === 'GOBD', `${what}: dynamic`);
  assert.equal(o.author.text, author, `${what}: author`);
  return o;
}

for (const name of ['alice', 'bob'] as const) {
  for (const from of ['own', 'server'] as const) {
    test(`${name} (${from === 'own' ? 'own ghidcache' : 'server/ghidcache alone'}): every app object, received share and orphan share reads back`, async () => {
      const e = referenceAccounts().accounts[name];
      const { account, get, bindingsOf } = await reference(name, from);
      const { objects, skipped } = await readAppObjects(account, get, bindingsOf);
      assert.deepEqual(skipped, []);
      const token = account.appTokens[0]!;
      for (const want of e.app_objects) {
        const o = expectObject(objects, want, e.fingerprint, want.label!);
        assert.equal(o.privateTo?.equals(token) ?? false, want.private, `${want.label}: private`);
        assert.deepEqual(o.startupOf.map((t) => t.equals(token)), want.startup_object ? [true] : [], `${want.label}: startup`);
        assert.equal(o.secretFrom, 'persistent');
      }
      for (const want of [...e.received_shares, ...e.orphan_shares]) {
        const o = expectObject(objects, want, want.origin!, 'share');
        assert.deepEqual([o.privateTo, o.startupOf], [null, []]);
      }
      assert.equal(objects.length, e.app_objects.length + e.received_shares.length + e.orphan_shares.length);
    });
  }
}

/** A dynamic app object by identity 0 with four versions, each secret ratcheted from the last (golix §8.1). */
async function fourVersions(plaintext = (n: number) => encodeAppObject(API_ID_RAW, Buffer.from(`v${n}`))) {
  const me = v16Identity(0);
  const secrets = [Secret.random()];
  let update = await makeUpdate(me, secrets[0]!, plaintext(0));
  const containers = [update.container];
  for (let n = 1; n < 4; n++) {
    secrets.push(secrets[n - 1]!.ratchet(update.frame.dynamic, update.container.ghid));
    update = await makeUpdate(me, secrets[n]!, plaintext(n), frameOf(update.frame));
    containers.push(update.container);
  }
  const objects = new Map<string, GolixObject>([[update.frame.dynamic.text, update.frame], [update.container.ghid.text, update.container]]);
  return { dyn: update.frame.dynamic, frame: update.frame, containers, secrets, objects, get: ((g) => objects.get(g.text) ?? null) as ObjectSource };
}

function accountWith(o: { private: Ghid[]; persistent?: [Ghid, Secret][]; quarantine?: [Ghid, Secret][] }): LegacyAccount {
  const me = v16Identity(0);
  const token = Buffer.alloc(16, 9);
  const map = (entries: [Ghid, Secret][] = []) => new Map(entries.map(([g, s]) => [g.text, s]));
  return {
    format: 'reference-0.1',
    userId: Ghid.fromDigest(Buffer.alloc(64, 1)),
    fingerprint: me.ghid,
    identity: me,
    rootSecret: Secret.random(),
    systemObjects: [],
    persistentSecrets: map(o.persistent),
    quarantinedSecrets: map(o.quarantine),
    appTokens: [token],
    startupObjects: [],
    privateObjects: o.private.map((ghid) => ({ ghid, token })),
    incomingShares: [],
    pendingRequests: [],
    outstandingShares: [],
  };
}

test('a secret three versions behind is ratcheted forward; a quarantined one is used; none is reported', async () => {
  const { dyn, containers, secrets, get } = await fourVersions();
  const none = () => [];
  let scan = await readAppObjects(accountWith({ private: [dyn], persistent: [[containers[1]!.ghid, secrets[1]!]] }), get, none);
  assert.deepEqual(scan.objects.map((o) => [o.state.toString(), o.secretFrom, o.container.text]), [['v3', 'persistent', containers[3]!.ghid.text]]);
  scan = await readAppObjects(accountWith({ private: [dyn], quarantine: [[containers[3]!.ghid, secrets[3]!]] }), get, none);
  assert.deepEqual(scan.objects.map((o) => [o.state.toString(), o.secretFrom, o.privateTo?.[0]]), [['v3', 'quarantine', 9]]);
  scan = await readAppObjects(accountWith({ private: [dyn, Ghid.fromDigest(Buffer.alloc(64, 2))] }), get, none);
  assert.deepEqual(scan.skipped.map((s) => s.reason), ['no-secret', 'missing']);
});

test('containers that are no app object, or that someone else wrote, are skipped as such', async () => {
  const { dyn, containers, secrets, objects, get } = await fourVersions(() => Buffer.from('a pickle, say'));
  const known: [Ghid, Secret][] = [[containers[3]!.ghid, secrets[3]!]];
  let scan = await readAppObjects(accountWith({ private: [dyn], persistent: known }), get, () => []);
  assert.deepEqual(scan.skipped.map((s) => s.reason), ['not-app-object']);
  const c = containers[3]!;
  objects.set(c.ghid.text, { ...c, author: v16Identity(1).ghid });
  scan = await readAppObjects(accountWith({ private: [dyn], persistent: known }), get, () => []);
  assert.deepEqual(scan.skipped.map((s) => s.reason), ['foreign-container']);
});

for (const i of [0, 1] as const) {
  test(`2016 account ${'AB'[i]}: both shared app objects read back with the demo's state`, async () => {
    const pool = poolOf(V2016_DIRS[i]!);
    const account = await open2016Account({ source: pool.get, userId: ghid(ACCOUNTS_2016[i].userId), password: 'hello world', kdf: KDF_2016 });
    const { objects, skipped } = await readAppObjects(account, pool.get, pool.bindingsOf);
    assert.deepEqual(skipped, []);
    const byPrefix = (p: string) => objects.find((o) => o.ghid.text.startsWith(p))!;
    const [request, response] = [byPrefix(ACCOUNTS_2016[0].created), byPrefix(ACCOUNTS_2016[1].created)];
    assert.deepEqual(
      [request, response].map((o) => [o.dynamic, o.author.text, o.state.equals(STATE_2016)]),
      [
        [true, ACCOUNTS_2016[0].fingerprint, true],
        [true, ACCOUNTS_2016[1].fingerprint, true],
      ],
    );
    assert.ok(request.apiId.equals(API_ID_RAW) && response.apiId.equals(API_ID_PICKLE), 'api_ids 00…01 and 00…02');
    assert.equal(objects.length, 2);
  });
}
