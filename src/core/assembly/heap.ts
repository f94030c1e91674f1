import { setFlagsFromString } from 'node:v8';

/**
 * V8 settings for a long-running persistence server. It holds an index of every stored object
 * (~50 MB at 100,000 objects) and allocates per publish. With V8's defaults a burst of 100,000
 * publishes leaves the heap at two to three times the live data, and V8 gives none of it back
 * while the server sits idle. The young generation's size can only be set when the process
 * starts: `hypergolix start server` passes these flags to the server it detaches, and the systemd
 * unit sets them in NODE_OPTIONS.
 */
export const SERVER_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=4'];

/**
 * V8 settings for the app daemon that `hypergolix start app` detaches. Under a steady stream of
 * updates V8 grows the young generation to its default maximum (16 MiB semi-spaces, 48 MiB
 * committed) although what survives a collection stays near 12 MiB: measured here, 3,500 updates
 * from 8 objects through the SDK left the daemon at 121–124 MiB RSS with the defaults and
 * 102–104 MiB with 2 MiB semi-spaces, at the same update rate (bench/daemon). A daemon run
 * otherwise (`--foreground`, a service unit) takes the same flag through NODE_OPTIONS.
 */
export const DAEMON_NODE_FLAGS: readonly string[] = ['--max-semi-space-size=2'];

/**
 * Environment for the long-running processes `hypergolix start app|server` detaches (the systemd
 * unit sets the same). glibc's malloc gives each thread that allocates an arena of its own, up to
 * eight per core; the RSA, scrypt and file work runs on the libuv pool's six threads, and each
 * arena keeps the pages it once used. One arena measured 6 MiB less RSS for a server after one
 * client's load (77–78 MiB against 82–84) at the same rate; the allocations that matter are
 * V8's, which has its own heap.
 */
export const SERVICE_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '1' };

/**
 * After each full collection, let the old generation grow 20 % beyond what survived instead of
 * V8's default factor (up to 4×): a few more short collections, for RSS that stays near what the
 * index needs. Applies from the next collection on, so it is set at start-up, before the store
 * is loaded.
 */
export function tuneServerHeap(): void {
  setFlagsFromString('--heap-growing-percent=20');
}
