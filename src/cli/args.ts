import { parseArgs as nodeParseArgs, type ParseArgsConfig } from 'node:util';

/**
 * node:util's parseArgs, except that an option given twice with different values is an error.
 * Node keeps the last one silently: `account login --remote a:1 --remote b:2` would sign in on
 * b:2 alone, `--root A --root B` act on B, `server migrate --from files --from postgres` copy
 * the other way than first written. (`config` refuses the same, in config-args.ts.)
 */
export function parseArgs<T extends ParseArgsConfig>(config: T): ReturnType<typeof nodeParseArgs<T>> {
  const parsed = nodeParseArgs({ ...config, tokens: true });
  const seen = new Map<string, string | undefined>();
  for (const token of parsed.tokens ?? []) {
    if (token.kind !== 'option') continue;
    if (seen.has(token.name) && seen.get(token.name) !== token.value) throw new Error(`--${token.name} is given twice with different values`);
    seen.set(token.name, token.value);
  }
  if (!config.tokens) delete (parsed as { tokens?: unknown }).tokens;
  return parsed as unknown as ReturnType<typeof nodeParseArgs<T>>;
}
