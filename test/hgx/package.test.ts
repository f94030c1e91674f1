// The SDK as the app gets it through the workspace: the built package, imported by its name
// (`@hypergolix/hgx`, linked into node_modules by npm's workspaces) from a separate Node process,
// against a daemon's IPC server.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { world } from '../fixtures/ipc/world.js';

const ROOT = resolve(import.meta.dirname, '../..');
const built = existsSync(join(ROOT, 'packages/hgx/dist/index.js')) && existsSync(join(ROOT, 'packages/hgx/dist/types/index.d.ts'));
const linked = existsSync(join(ROOT, 'node_modules/@hypergolix/hgx/package.json'));
const skip = !built ? 'packages/hgx/dist is not built (npm test builds it first)' : !linked ? 'node_modules/@hypergolix/hgx is not linked: run npm install (workspaces)' : false;

test('the built @hypergolix/hgx package, imported by name through the workspace, connects, creates and reads an object', { skip }, async () => {
  const w = await world();
  const a = await w.user(0);
  // Evaluated with the project as the working directory, so Node resolves the package's own
  // name through its "exports", as an app depending on it would.
  const code = `import { HGXLink, JsonObj, ApiId } from '@hypergolix/hgx';
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
