import { test } from 'node:test';
import assert from 'node:assert/strict';
import { runFixture } from './helpers.js';

test('SIGTERM and SIGINT run the handlers once, newest first, then exit 0', async (t) => {
  for (const signal of ['SIGTERM', 'SIGINT'] as const) {
    const svc = runFixture('service.ts', ['-', 'normal'], t);
    await svc.waitFor(/^ready$/);
    svc.child.kill(signal);
    assert.deepEqual(await svc.exited, { code: 0, signal: null }, signal);
    assert.deepEqual(
      svc.lines.filter((l) => l.startsWith('step')),
      [`step 3 start ${signal}`, 'step 3 done', `step 2 start ${signal}`, 'step 2 done', `step 1 start ${signal}`, 'step 1 done'],
    );
  }
});

test('a failing handler does not stop the others; the exit status says so', async (t) => {
  const svc = runFixture('service.ts', ['-', 'throw'], t);
  await svc.waitFor(/^ready$/);
  svc.child.kill('SIGTERM');
  assert.deepEqual(await svc.exited, { code: 1, signal: null });
  assert.ok(svc.lines.includes('step 1 done'));
  assert.ok(svc.lines.some((l) => l.startsWith('error: shutdown step failed')));
});

test('handlers that overrun the deadline are abandoned and the process exits 1', async (t) => {
  const svc = runFixture('service.ts', ['-', 'hang', '200'], t);
  await svc.waitFor(/^ready$/);
  const started = Date.now();
  svc.child.kill('SIGTERM');
  assert.deepEqual(await svc.exited, { code: 1, signal: null });
  assert.ok(Date.now() - started < 3000);
  assert.ok(!svc.lines.includes('step 1 start SIGTERM'), 'steps after the hung one never ran');
  assert.ok(svc.lines.some((l) => /did not finish within 200 ms/.test(l)));
});

test('a second signal forces an immediate exit', async (t) => {
  const svc = runFixture('service.ts', ['-', 'hang', '60000'], t);
  await svc.waitFor(/^ready$/);
  svc.child.kill('SIGTERM');
  await svc.waitFor(/^step 2 start/);
  svc.child.kill('SIGINT');
  assert.deepEqual(await svc.exited, { code: 130, signal: null });
});
