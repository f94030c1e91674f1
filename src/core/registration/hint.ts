/**
 * What a person reads when a server's free tier is used up (RegistrationRequired, NK 0011): the
 * server to register on and how much of its allowance is used, from the NK's fields, never from
 * its message.
 */
import { formatBytes } from '../../common/config-fields.js';

/** "register on host:7770 to upload more (10 MiB of 10 MiB used)". */
export function registrationHint(server: string, used: number | undefined, limit: number | undefined): string {
  const usage = limit === undefined ? '' : ` (${used === undefined ? '?' : roundBytes(used)} of ${formatBytes(limit)} used)`;
  return `register on ${server} to upload more${usage}: run "hypergolix config --register" or use Register in the app`;
}

/** A byte count as people read it: whole units where exact, else one decimal. */
export function roundBytes(n: number): string {
  const exact = formatBytes(n);
  if (!exact.endsWith(' bytes') || n < 1024) return exact;
  const [unit, size] = n >= 1024 ** 3 ? ['GiB', 1024 ** 3] : n >= 1024 ** 2 ? ['MiB', 1024 ** 2] : ['KiB', 1024];
  return `${(n / size).toFixed(1)} ${unit}`;
}
