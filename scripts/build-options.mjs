// esbuild options shared by `npm run build` (scripts/build.mjs) and the benchmarks that bundle
// the CLI the same way (bench/server.ts).

/** Every Node bundle: dependencies stay in node_modules, source maps beside the output. */
export const NODE_BUILD = { platform: 'node', target: 'node20', bundle: true, packages: 'external', sourcemap: 'linked', logLevel: 'warning' };

/**
 * The CLI (every `hypergolix` command, the server and the daemon among them): one chunk per
 * command, which src/cli/index.ts loads when it runs, and the chunks they share, all beside the
 * entry in one directory. A process compiles only the code of the command it runs.
 */
export const CLI_BUILD = { ...NODE_BUILD, format: 'esm', splitting: true, chunkNames: '[name]-[hash]' };
