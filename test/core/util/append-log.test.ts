import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AppendLog } from '../../../src/core/util/append-log.js';

const dirs: string[] = [];
test.after(() => Promise.all(dirs.map((d) => rm(d, { recursive: true, force: true }))));
async function path(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'hgx-append-log-'));
  dirs.push(dir);
  return join(dir, 'sub', 'log');
}

test('appends land in call order, survive a reopen, and the file is private to the user', async () => {
  const p = await path();
  const { log, data } = await AppendLog.open(p);
  assert.equal(data.length, 0);
  // Issued without waiting: they are batched, and still written in order.
  await Promise.all(Array.from({ length: 50 }, (_, i) => log.append([Buffer.from(`${i},`)])));
  await log.close();
  const again = await AppendLog.open(p);
  assert.equal(again.data.toString(), Array.from({ length: 50 }, (_, i) => `${i},`).join(''));
  if (process.platform !== 'win32') assert.equal((await stat(p)).mode & 0o777, 0o600);
  await again.log.close();
});

test('appends issued together land in call order, and appendedBytes counts them', async () => {
  const { log } = await AppendLog.open(await path());
  await Promise.all([log.append([Buffer.from('a')]), log.append([Buffer.from('b')])]);
  assert.equal((await readFile(log.path)).toString(), 'ab');
  assert.equal(log.appendedBytes, 2);
  await log.close();
});

test('replace() swaps the whole file after earlier appends; later appends follow the new content', async () => {
  const { log } = await AppendLog.open(await path());
  void log.append([Buffer.from('old ')]);
  const replaced = log.replace(() => Buffer.from('new '));
  const after = log.append([Buffer.from('tail')]);
  await Promise.all([replaced, after]);
  assert.equal((await readFile(log.path)).toString(), 'new tail');
  // The counter restarts at the rewrite, so callers can compact on growth.
  assert.equal(log.appendedBytes, 4);
  await log.close();
  await assert.rejects(log.append([Buffer.from('x')]), /closed/);
});

test('a rewrite is not starved by a steady stream of appends', async () => {
  const { log } = await AppendLog.open(await path());
  let stop = false;
  const writer = (async () => {
    while (!stop) await log.append([Buffer.from('.')]);
  })();
  await log.replace(() => Buffer.from('R'));
  stop = true;
  await writer;
  assert.match((await readFile(log.path)).toString(), /^R\.*$/);
  await log.close();
});

test('a failed append (a full disk midway) is cut back: later appends replay after the last whole one', async () => {
  const { FaultyFs } = await import('../../fixtures/store/faulty-fs.js');
  const p = await path();
  const fs = new FaultyFs();
  const { log } = await AppendLog.open(p, fs);
  await log.append([Buffer.from('one,')]);
  // The write itself fails (after a partial write, as write(2) may); then the truncate too, once.
  const real = await import('node:fs/promises');
  fs.arm(1, 'ENOSPC', false);
  await real.appendFile(p, 'to'); // what a short write leaves behind
  await assert.rejects(log.append([Buffer.from('two,')]), (err: NodeJS.ErrnoException) => err.code === 'ENOSPC');
  assert.equal((await readFile(p)).toString(), 'one,', 'the torn bytes are gone');
  await log.append([Buffer.from('three,')]);
  await log.close();
  assert.equal((await readFile(p)).toString(), 'one,three,');
});

test('a torn tail that could not be cut back at once is cut before the next append', async () => {
  const { FaultyFs } = await import('../../fixtures/store/faulty-fs.js');
  const p = await path();
  const fs = new FaultyFs();
  const { log } = await AppendLog.open(p, fs);
  await log.append([Buffer.from('one,')]);
  const real = await import('node:fs/promises');
  // Fail the write and the truncate after it.
  fs.arm(1, 'EIO', true);
  await real.appendFile(p, 'to');
  await assert.rejects(log.append([Buffer.from('two,')]));
  fs.heal();
  await log.append([Buffer.from('three,')]);
  await log.close();
  assert.equal((await readFile(p)).toString(), 'one,three,');
});

test('a shared log (other processes append too) is never rewritten: replace is refused, the file untouched', async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'hgx-alog-shared-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const path = join(dir, 'shared.log');
  const { log } = await AppendLog.open(path, undefined, { shared: true });
  t.after(() => log.close());
  await log.append([Buffer.from('one\n')]);
  await assert.rejects(log.replace(() => Buffer.from('')), /never rewritten/);
  assert.equal(readFileSync(path, 'utf8'), 'one\n');
});
