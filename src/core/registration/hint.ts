/**
 * What a person reads when a server's free tier is used up (RegistrationRequired, NK 0011): the
 * server to register on and how much of its allowance is used, from the NK's fields, never from
 * its message.
 */
import { formatBytes } from '../../common/config-fields.js';

/**
 * "register on host:7770 to upload more (10 MiB of 10 MiB used)"; for an account whose
 * registration the operator revoked (NK `reason` "revoked"), that instead: registering again is
 * refused, so only the operator can lift it.
 */
export function registrationHint(server: string, used: number | undefined, limit: number | undefined, revoked = false): string {
  const usage = limit === undefined ? '' : ` (${used === undefined ? '?' : roundBytes(used)} of ${formatBytes(limit)} used)`;
  if (revoked) return `your registration on ${server} was revoked by its operator, so uploads stop at its free tier${usage}: ask the operator to approve it again`;
  return `register on ${server} to upload more${usage}: run "hypergolix config --register" or use Register in the app`;
}

/** A byte count as people read it: whole units where exact, else one decimal. */
export function roundBytes(n: number): string {
  const exact = formatBytes(n);
  if (!exact.endsWith(' bytes') || n < 1024) return exact;
  const units: [string, number][] = [['KiB', 1024], ['MiB', 1024 ** 2], ['GiB', 1024 ** 3]];
  // The unit after rounding: 1,048,575 bytes is "1.0 MiB", not "1024.0 KiB".
  let i = n >= 1024 ** 3 ? 2 : n >= 1024 ** 2 ? 1 : 0;
  if (i < 2 && (n / units[i]![1]).toFixed(1) === '1024.0') i++;
  return `${(n / units[i]![1]).toFixed(1)} ${units[i]![0]}`;
}
