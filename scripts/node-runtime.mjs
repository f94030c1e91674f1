// Which npm package carries a Node binary for a platform, and which of its versions to take
// (scripts/test-on-node.mjs).

const PLATFORMS = { linux: 'linux', darwin: 'darwin', win32: 'win' };
const ARCHES = new Set(['x64', 'arm64']);

/** The registry's package with a Node binary for this platform and its path inside the package, or null. */
export function runtimePackage(platform, arch) {
  const os = PLATFORMS[platform];
  if (!os || !ARCHES.has(arch)) return null;
  return { name: `node-${os}-${arch}`, binary: platform === 'win32' ? ['bin', 'node.exe'] : ['bin', 'node'] };
}

/** The newest release (no pre-releases) of major line `major` among `versions`, or null. */
export function newestOfLine(versions, major) {
  let best = null;
  for (const v of Array.isArray(versions) ? versions : [versions]) {
    const m = /^(\d+)\.(\d+)\.(\d+)$/.exec(String(v));
    if (!m || Number(m[1]) !== major) continue;
    const parts = [Number(m[1]), Number(m[2]), Number(m[3])];
    if (!best || parts[1] > best.parts[1] || (parts[1] === best.parts[1] && parts[2] > best.parts[2])) best = { v: String(v), parts };
  }
  return best ? best.v : null;
}
