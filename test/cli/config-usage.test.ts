// `hypergolix config --help` lists every key of the table with what it does and its default.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { main } from '../../src/cli/index.js';
import { configUsage } from '../../src/cli/commands/config-usage.js';
import { keysOf } from '../../src/common/config-paths.js';

test('every key is listed once, reference keys before project keys, with its default', () => {
  const usage = configUsage();
  const [head, project] = usage.split("This project's keys");
  for (const { path, spec } of keysOf()) {
    const name = path.join('.');
    const at = new RegExp(`^  ${name.replace(/[.[\]]/g, '\\$&')}(\\s|$)`, 'm');
    assert.match(spec.reference ? head! : project!, at, name);
  }
  assert.match(usage, /^ {2}process\.ipc_port +the port apps use to reach the daemon; default 7772$/m);
  assert.match(usage, /^ {2}server\.max_message_bytes +largest message or object, e\.g\. "16 MiB"; default 10 MiB$/m);
  assert.match(usage, /^ {2}remotes\[\]\.host +the server's host name or address; required$/m);
  assert.match(usage, /--ipc-port PORT .*\(default 7772\)/);
  assert.match(usage, /--sharing all\|known\|ask .*\(default ask\)/);
  for (const line of usage.split('\n')) assert.ok(line.length <= 110, `too wide: ${line}`);
});

test('hypergolix config --help prints it', async () => {
  const out: string[] = [];
  const code = await main(['config', '--help'], { out: (t) => out.push(t), err: () => {}, stdin: Readable.from([]), isTTY: false, env: {}, cwd: '/' });
  assert.equal(code, 0);
  assert.equal(out.join('\n'), configUsage());
});
