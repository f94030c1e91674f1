import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Ghid, MalformedGolixPrimitive, Secret } from '../../../src/core/golix/index.js';
import { MANIFEST_RECORD_LENGTH, readManifestRecord, valuesByName } from '../../../src/core/legacy/account-assembly.js';
import { DamagedAccount } from '../../../src/core/legacy/errors.js';
import type { SystemObject } from '../../../src/core/legacy/legacy-account.js';

const ghid = Ghid.fromDigest(createHash('sha512').update('an object').digest());
const master = Secret.random();
const record = Buffer.concat([ghid.bytes, master.toRecord()]);

test('a manifest record is a GHID then a master secret, read at its offset', () => {
  assert.equal(record.length, MANIFEST_RECORD_LENGTH);
  const bytes = Buffer.concat([Buffer.alloc(32, 9), record, Buffer.alloc(7)]);
  const read = readManifestRecord(bytes, 32, 'identity');
  assert.equal(read.name, 'identity');
  assert.ok(read.ghid.equals(ghid));
  assert.ok(read.master.equals(master));
});

test('a malformed record is damage to the root manifest, naming the record and keeping the cause', () => {
  const broken = Buffer.from(record);
  broken[0] = 0x7f; // no such hash algorithm
  assert.throws(() => readManifestRecord(broken, 0, 'dispatch_tokens'), (err) => {
    assert.ok(err instanceof DamagedAccount);
    assert.equal(err.part, 'root');
    assert.match(err.message, /record dispatch_tokens/);
    assert.ok(err.cause instanceof MalformedGolixPrimitive);
    return true;
  });
  assert.throws(() => readManifestRecord(record.subarray(0, 70), 0, 'identity'), DamagedAccount);
});

test('values are found by object name; an object the account lacks is damage named by it', () => {
  const object = (name: SystemObject['name']): SystemObject => ({ name, ghid, master, frame: ghid, container: ghid });
  const value = valuesByName([
    { object: object('identity'), value: 'id' },
    { object: object('dispatch_tokens'), value: null },
  ]);
  assert.equal(value('identity'), 'id');
  assert.equal(value('dispatch_tokens'), null);
  assert.throws(() => value('rolodex_pending'), (err) => err instanceof DamagedAccount && err.part === 'rolodex_pending');
});
