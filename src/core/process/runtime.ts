/**
 * The runtime this process runs on, for the first line a daemon or server logs. An update's
 * cost is mostly two RSA-4096 signatures, and their speed is the runtime's OpenSSL (Node 24's
 * signs twice as fast as Node 20's on CPUs with AVX-512 IFMA: BENCHMARKS.md, twelfth pass), so
 * a log that is asked "why is it slow here" should say which one it was.
 */
export function runtimeDescription(versions: Readonly<Record<string, string | undefined>> = process.versions): string {
  // Electron's Node uses BoringSSL, whose version Node does not report.
  if (versions.electron) return `Electron ${versions.electron}, Node ${versions.node ?? 'unknown'}`;
  return `Node ${versions.node ?? 'unknown'}, OpenSSL ${versions.openssl ?? 'unknown'}`;
}
