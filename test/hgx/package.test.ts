// The SDK as apps get it: the built bundle, imported by package name (`hypergolix/hgx`) from a
// separate Node process, against a daemon's IPC server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { world } from '../fixtures/ipc/world.js';

const ROOT = resolve(import.meta.dirname, '../..');
const built = existsSync(join(ROOT, 'dist/hgx/index.js')) && existsSync(join(ROOT, 'dist/types/hgx/index.d.ts'));

test('the built hypergolix/hgx bundle connects, creates and reads an object', { skip: built ? false : 'dist/ is not built (npm test builds it first)' }, async () => {
  const w = await world();
  const a = await w.user(0);
  // Evaluated with the project as the working directory, so Node resolves the package's own
  // name through its "exports", as an app depending on it would.
  const code = `import { HGXLink, JsonObj, ApiId } from 'hypergolix/hgx';
const link = await HGXLink.connect({ port: Number(process.argv[1]), tokenFile: process.argv[2] });
const obj = await link.new(JsonObj, { from: 'bundle' });
const again = await link.get(JsonObj, obj.ghid);
console.log(JSON.stringify({ whoami: link.whoami, api: obj.apiId === ApiId.JSON, same: again === obj, state: again.state }));
await link.close();`;
  const out = await new Promise<string>((resolveRun, reject) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', code, String(a.port), a.tokenFile], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (c) => (c === 0 ? resolveRun(stdout) : reject(new Error(`exit ${c}: ${stderr}`))));
  });
  assert.deepEqual(JSON.parse(out), { whoami: a.daemon.fingerprint.text, api: true, same: true, state: { from: 'bundle' } });
});
