/** A request target in origin form (`/healthz`) or absolute form (`http://host/healthz`, RFC 9112 §3.2.2) as a URL; null for one no URL parser reads (`//[`), which is a not found, not a failure. */
export function parseTarget(target: string | undefined): URL | null {
  try {
    return new URL(target ?? '/', 'http://server.invalid');
  } catch {
    return null;
  }
}
