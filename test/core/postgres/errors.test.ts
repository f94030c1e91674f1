// What a PostgreSQL error means for the engine (src/core/postgres/errors.ts): the database out of
// reach (by SQLSTATE class or by a system error), a conflict to run again, or a fault.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isConflict, unavailableCode } from '../../../src/core/postgres/errors.js';

const pgError = (code: string) => Object.assign(new Error(`postgres ${code}`), { code, severity: 'ERROR' });
const systemError = (code: string, syscall: string, errno: number) => Object.assign(new Error(`${syscall} ${code}`), { code, syscall, errno });

test('a system error whose code looks like a SQLSTATE (five capitals) is the database out of reach, not a fault', () => {
  for (const [code, syscall, errno] of [['EPIPE', 'write', -32], ['EPERM', 'connect', -1], ['EBUSY', 'read', -16], ['ECONNREFUSED', 'connect', -111]] as const) {
    assert.equal(unavailableCode(systemError(code, syscall, errno)), code, code);
    assert.equal(isConflict(systemError(code, syscall, errno)), false, code);
  }
});

test('SQLSTATEs: connection, resources and shutdown classes are out of reach; conflicts run again; others are faults', () => {
  assert.deepEqual(['08006', '53100', '53300', '57P01', '58030'].map((c) => unavailableCode(pgError(c))), ['08006', '53100', '53300', '57P01', '58030']);
  assert.deepEqual(['40001', '40P01', '23505'].map((c) => [unavailableCode(pgError(c)), isConflict(pgError(c))]), [[null, true], [null, true], [null, true]]);
  assert.deepEqual(['23514', 'XX000', '42P01'].map((c) => [unavailableCode(pgError(c)), isConflict(pgError(c))]), [[null, false], [null, false], [null, false]]);
  assert.equal(unavailableCode(new Error('Connection terminated unexpectedly')), 'ECONNRESET', 'node-postgres when the socket closes under a query');
  assert.equal(unavailableCode(new Error('something else')), null);
});
