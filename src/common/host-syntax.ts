/**
 * The syntax of host names and IP addresses, as the config's host fields (config-fields.ts)
 * check them. No imports: it runs in the renderer as well as in the core and the hosts.
 */

/** One label of a DNS name (underscores allowed, as some private names have them). */
export const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/i;
export const IPV4 = /^(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)(?:\.(?:25[0-5]|2[0-4]\d|1\d\d|[1-9]?\d)){3}$/;

export function isIPv6(s: string): boolean {
  const parts = s.split('%');
  if (parts.length > 2) return false;
  const [addr, zone] = parts as [string, string | undefined];
  if (zone !== undefined && !/^[\w.-]{1,64}$/.test(zone)) return false;
  if (!/^[0-9a-f:.]+$/i.test(addr) || !addr.includes(':')) return false;
  const halves = addr.split('::');
  if (halves.length > 2) return false;
  const groups = halves.flatMap((h) => (h === '' ? [] : h.split(':')));
  let count = 0;
  for (const [i, g] of groups.entries()) {
    // An IPv4 part ends the address: the last group of the last half ("1.2.3.4::" is none).
    if (i === groups.length - 1 && g.includes('.') && halves.at(-1) !== '') {
      if (!IPV4.test(g)) return false;
      count += 2;
    } else if (/^[0-9a-f]{1,4}$/i.test(g)) count += 1;
    else return false;
  }
  return halves.length === 2 ? count < 8 : count === 8;
}

/** An internationalised name's ASCII (punycode) form, as a browser or Node would dial it; null when it has none. */
export function asciiName(name: string): string | null {
  try {
    const host = new URL(`http://${name}/`).hostname;
    return host.split('.').every((l) => LABEL.test(l)) ? host : null;
  } catch {
    return null;
  }
}
