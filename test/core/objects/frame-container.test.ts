import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Account } from '../../../src/core/account/account.js';
import { REFERENCE_KDF } from '../../../src/core/account/kdf.js';
import { StorageFull, type Ghid, type Gobd } from '../../../src/core/golix/index.js';
import { ContainerMissing } from '../../../src/core/objects/errors.js';
import { containerOf, containerOrNewer } from '../../../src/core/objects/frame-container.js';
import { API_ID_RAW } from '../../../src/core/objects/hgxd.js';
import { ObjectManager } from '../../../src/core/objects/manager.js';
import { SecretStore } from '../../../src/core/objects/secrets.js';
import { LocalIO } from '../../fixtures/daemon/local-io.js';
import { v16Identity } from '../../fixtures/vectors.js';

/** An object written twice: the first frame, replaced here, and the second. */
async function replaced() {
  const io = await LocalIO.create();
  const account = await Account.create({ io, password: 'pw', kdf: { ...REFERENCE_KDF, n: 1024 }, device: 'd', identity: v16Identity(0) });
  const objects = new ObjectManager(io, account.identity, new SecretStore(account.secrets));
  const { ghid } = await objects.create(API_ID_RAW, Buffer.from('v0'));
  await objects.update(ghid, Buffer.from('v1'));
  const first = (await io.fetch(ghid)) as Gobd;
  await objects.update(ghid, Buffer.from('v2'));
  return { io, first, second: (await io.fetch(ghid)) as Gobd };
}

test("a frame's container, or ContainerMissing when nobody has it", async () => {
  const { io, first, second } = await replaced();
  assert.equal((await containerOf(io, second)).ghid.text, second.targets[0]!.text);
  await assert.rejects(containerOf(io, first), ContainerMissing);
});

test('a frame replaced here gives the newer frame instead of its missing container; the newest frame gives its container', async () => {
  const { io, first, second } = await replaced();
  const got = await containerOrNewer(io, first);
  assert.equal(got.type, 'GOBD');
  assert.equal(got.ghid.text, second.ghid.text);
  assert.equal((await containerOrNewer(io, second)).type, 'GEOC');
});

test("any failure to fetch the container reaches the caller when no newer frame is here", async () => {
  const { io, second } = await replaced();
  const full = new StorageFull('the disk is full');
  const failing = { publish: () => Promise.resolve(), fetch: (g: Ghid) => (g.equals(second.dynamic) ? io.fetch(g) : Promise.reject(full)) };
  await assert.rejects(containerOrNewer(failing, second), (err) => err === full);
});
