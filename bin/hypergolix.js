#!/usr/bin/env node
'use strict';
// The `hypergolix` command. The CLI lives in dist/ (built by `npm run build`).
//
// CommonJS (bin/package.json says so) because RSA signing and verification, scrypt and file I/O
// all queue on libuv's thread pool, whose size is read from UV_THREADPOOL_SIZE when the pool is
// created: an ES module entry creates it while being loaded, before its first line runs. Here the
// size is set first (bin/pool-size.cjs), for this process and the daemons and servers it detaches.
const { existsSync, readFileSync } = require('node:fs');
const { availableParallelism } = require('node:os');
const { join } = require('node:path');
const { pathToFileURL } = require('node:url');
const { poolSize } = require('./pool-size.cjs');

process.env.UV_THREADPOOL_SIZE = poolSize(process.argv.slice(2), process.env, availableParallelism(), (path) => readFileSync(path, 'utf8'));

const cli = join(__dirname, '..', 'dist', 'cli', 'index.js');
if (!existsSync(cli)) {
  console.error('hypergolix: the CLI is not built yet. Run `npm run build` in the project directory.');
  process.exit(2);
}
import(pathToFileURL(cli).href)
  .then(({ main }) => main(process.argv.slice(2)))
  .then((code) => {
    process.exitCode = code;
  });
