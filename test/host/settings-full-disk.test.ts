// Settings saved from the desktop app onto a full disk (a real 20 MiB tmpfs holding the home):
// a clear error in words, hypergolix.yml as it was, Hypergolix still running on the settings in
// use; a password change taken durably (the journal keeps room ahead) or refused in words, one
// password opening the account either way; with room again, the same save goes through.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES } from '../../src/common/contract.js';
import { mountSmallDisk } from '../fixtures/server/small-disk.js';
import { PASSWORD, harness } from './helpers.js';

const disk = mountSmallDisk(20 * 1024 * 1024);

test('a save and a password change on a full disk: said in words, the file as it was, one password opening the account, still running; with room again the save goes through', { skip: typeof disk === 'string' && disk }, async (t) => {
  if (typeof disk === 'string') return;
  t.after(() => disk.unmount());
  const home = join(disk.dir, 'home');
  mkdirSync(home);
  const h = await harness(home);
  await h.ask({ kind: 'createAccount', password: PASSWORD });
  await h.controller.settled();
  const before = readFileSync(h.yml);
  const settings = await h.ask({ kind: 'getSettings' });
  const next = structuredClone(settings);
  next.instrumentation.verbosity = 'debug';

  disk.fill();
  h.events.length = 0;
  const res = await h.askRaw({ kind: 'saveSettings', settings: next });
  assert.equal(res.ok, false, 'not saved');
  if (res.ok) return;
  assert.equal(res.error.code, ERROR_CODES.storageFull, res.error.message);
  assert.match(res.error.message, /^hypergolix\.yml could not be written: the disk holding .*home is full \(.* free, ENOSPC\)\. The file is as it was/, res.error.message);
  assert.doesNotMatch(res.error.message, /ENOSPC:|\.tmp/, 'in words, without the temporary file');
  assert.deepEqual(readFileSync(h.yml), before, 'hypergolix.yml as it was');
  assert.equal((await h.ask({ kind: 'getState' })).status.state, 'running');
  assert.equal((await h.ask({ kind: 'getSettings' })).instrumentation.verbosity, settings.instrumentation.verbosity);

  // A password change: the store's journal keeps room ahead, so it may still be taken (durably);
  // or it is refused in words. Either way exactly one of the two passwords opens the account.
  disk.fill();
  const NEW = 'a-new-and-longer-passphrase-42';
  const change = await h.askRaw({ kind: 'changePassword', current: PASSWORD, next: NEW });
  if (!change.ok) {
    assert.equal(change.error.code, ERROR_CODES.storageFull, change.error.message);
    assert.match(change.error.message, /^Cannot store anything: (the disk holding .* is full|this computer's Hypergolix storage is full)/);
  }
  const [opens, opensNot] = change.ok ? [NEW, PASSWORD] : [PASSWORD, NEW];
  // A recovery kit likewise: made, or refused in words.
  disk.fill();
  const kit = await h.askRaw({ kind: 'makeRecoveryKit', password: opens });
  if (!kit.ok) assert.deepEqual([kit.error.code, /^Cannot store anything: /.test(kit.error.message)], [ERROR_CODES.storageFull, true], kit.error.message);

  disk.free();
  await h.ask({ kind: 'lock' });
  const wrong = await h.askRaw({ kind: 'unlock', password: opensNot, rememberOnThisComputer: false });
  assert.equal(wrong.ok ? 'opened' : wrong.error.code, ERROR_CODES.wrongPassword, `the ${change.ok ? 'old' : 'new'} password opens nothing`);
  await h.ask({ kind: 'unlock', password: opens, rememberOnThisComputer: false });
  assert.equal((await h.ask({ kind: 'getState' })).status.state, 'running', `the ${change.ok ? 'new' : 'old'} password opens it`);
  await h.ask({ kind: 'saveSettings', settings: next });
  assert.match(readFileSync(h.yml, 'utf8'), /verbosity: debug/);
  assert.equal((await h.ask({ kind: 'getState' })).status.state, 'running');
});
