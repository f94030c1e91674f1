/**
 * Which validator of config-fields.ts checks a key of the table (config-keys.ts) by its kind:
 * the one place a kind becomes a parser, for the config module and the settings form alike.
 */
import {
  parseBoolean,
  parseByteSize,
  parseGhidText,
  parseHost,
  parseHttpUrl,
  parseInteger,
  parsePathText,
  parsePort,
  parsePostgresUrl,
  parsePublicNames,
  parseRate,
  parseRegistrationPolicy,
  parseSecretText,
  parseServerHost,
  parseServerStore,
  parseSharedSecret,
  parseSharingPolicy,
  parseVerbosity,
  type Field,
} from './config-fields.js';
import type { KeySpec } from './config-keys.js';

/** The validator of one value of a key (for a list of GHIDs, of one item; for a list of names, of the list). */
export function parserOf(spec: KeySpec): (value: unknown) => Field<unknown> {
  switch (spec.kind) {
    case 'boolean':
      return parseBoolean;
    case 'port':
      return parsePort;
    case 'integer':
      return (v) => parseInteger(v, spec.min, spec.max);
    case 'size':
      return (v) => parseByteSize(v, spec.min, spec.max);
    case 'rate':
      return (v) => parseRate(v, spec.min, spec.max);
    case 'verbosity':
      return parseVerbosity;
    case 'policy':
      return parseSharingPolicy;
    case 'server-store':
      return parseServerStore;
    case 'postgres-url':
      return parsePostgresUrl;
    case 'registration':
      return parseRegistrationPolicy;
    case 'shared-secret':
      return parseSharedSecret;
    case 'server-host':
      return parseServerHost;
    case 'host':
      return parseHost;
    case 'name-list':
      return parsePublicNames;
    case 'url':
      return parseHttpUrl;
    case 'path':
      return parsePathText;
    case 'ghid':
    case 'ghid-list':
      return parseGhidText;
    case 'secret':
      return parseSecretText;
    case 'kdf':
      // Its parts are checked together, by the config module.
      return (v) => ({ ok: true, value: v });
  }
}
