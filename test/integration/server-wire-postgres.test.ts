// The server's wire conformance tests (server-wire.test.ts), again with `server.store: postgres`
// on a throwaway PostgreSQL (issue #15): the same scenario, codes and pushes on both backends.
import { test } from 'node:test';
import { POSTGRES_SKIP } from '../fixtures/postgres.js';

if (POSTGRES_SKIP) {
  test('the server wire tests on PostgreSQL', { skip: POSTGRES_SKIP }, () => {});
} else {
  process.env.HGX_TEST_STORE = 'postgres';
  await import('./server-wire.test.js');
}
