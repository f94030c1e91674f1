// The desktop app's view of hand edits: reported once, our own saves never.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ConfigError, loadConfig, updateConfig, watchConfig, type ConfigChange } from '../../../src/core/config/index.js';
import { sandbox, tempDir } from './helpers.js';

const DEBOUNCE = 40;

async function waitFor(pred: () => boolean, what: string, ms = 5000): Promise<void> {
  const end = Date.now() + ms;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

async function setup() {
  const root = tempDir();
  const loaded = await loadConfig({ ...sandbox(root), create: true });
  const changes: ConfigChange[] = [];
  const watcher = watchConfig(loaded.path, (c) => changes.push(c), { debounceMs: DEBOUNCE, homedir: loaded.homedir });
  return { loaded, changes, watcher };
}

test('a hand edit is reported once, with the new config', async () => {
  const { loaded, changes, watcher } = await setup();
  try {
    writeFileSync(loaded.path, loaded.text.replace('ipc_port: 7772', 'ipc_port: 7799'));
    await waitFor(() => changes.length > 0, 'the change');
    await sleep(DEBOUNCE * 4);
    assert.equal(changes.length, 1);
    const c = changes[0]!;
    assert.equal(c.kind, 'changed');
    assert.equal(c.kind === 'changed' && c.loaded.config.process.ipc_port, 7799);
  } finally {
    watcher.close();
  }
});

test('our own save is not reported, and the watcher still sees the next hand edit', async () => {
  const { loaded, changes, watcher } = await setup();
  try {
    const saved = await updateConfig(loaded, { instrumentation: { debug: true } });
    await sleep(DEBOUNCE * 6);
    assert.equal(changes.length, 0, 'our own save is not a change');
    writeFileSync(saved.path, saved.text.replace('verbosity: info', 'verbosity: debug'));
    await waitFor(() => changes.length > 0, 'the hand edit');
    const c = changes[0]!;
    assert.ok(c.kind === 'changed');
    assert.equal(c.loaded.config.instrumentation.verbosity, 'debug');
    assert.equal(c.loaded.config.instrumentation.debug, true);
  } finally {
    watcher.close();
  }
});

test('rewriting the same content is not a change', async () => {
  const { loaded, changes, watcher } = await setup();
  try {
    writeFileSync(loaded.path, loaded.text);
    await sleep(DEBOUNCE * 6);
    assert.deepEqual(changes, []);
  } finally {
    watcher.close();
  }
});

test('a broken hand edit is reported as invalid with its line and field; removal is reported', async () => {
  const { loaded, changes, watcher } = await setup();
  try {
    writeFileSync(loaded.path, loaded.text.replace('port: 7770', 'port: 77700'));
    await waitFor(() => changes.length > 0, 'the invalid edit');
    const c = changes[0]!;
    assert.ok(c.kind === 'invalid');
    assert.ok(c.error instanceof ConfigError);
    assert.equal(c.error.field, 'server.port');
    assert.equal(c.error.line, loaded.text.split('\n').findIndex((l) => l.includes('port: 7770')) + 1);
    rmSync(loaded.path);
    await waitFor(() => changes.length > 1, 'the removal');
    assert.deepEqual(changes[1], { kind: 'removed', path: loaded.path });
  } finally {
    watcher.close();
  }
});

test('a named pipe put in place of the file is reported as unusable, once, and the watcher goes on', { skip: process.platform === 'win32' ? 'no FIFOs at a path on Windows' : false }, async () => {
  const { loaded, changes, watcher } = await setup();
  try {
    rmSync(loaded.path);
    await waitFor(() => changes.length > 0, 'the removal');
    execFileSync('mkfifo', [loaded.path]);
    await waitFor(() => changes.length > 1, 'the pipe');
    const c = changes[1]!;
    assert.ok(c.kind === 'invalid' && c.error instanceof ConfigError, c.kind);
    assert.match(c.error.message, /named pipe|not a regular file/);
    // Touched again, the same problem is not said twice.
    writeFileSync(join(dirname(loaded.path), 'other'), 'x');
    await sleep(DEBOUNCE * 6);
    assert.equal(changes.length, 2);
    rmSync(loaded.path);
    writeFileSync(loaded.path, loaded.text.replace('ipc_port: 7772', 'ipc_port: 7798'));
    await waitFor(() => changes.some((x) => x.kind === 'changed'), 'the file back');
    const back = changes.find((x) => x.kind === 'changed');
    assert.equal(back?.kind === 'changed' && back.loaded.config.process.ipc_port, 7798);
  } finally {
    watcher.close();
  }
});

test('a watcher started on a named pipe does not wait for a writer', { skip: process.platform === 'win32' ? 'no FIFOs at a path on Windows' : false }, async () => {
  const root = tempDir();
  const path = join(root, 'hypergolix.yml');
  execFileSync('mkfifo', [path]);
  const watcher = watchConfig(path, () => {}, { debounceMs: DEBOUNCE });
  watcher.close();
});
