/**
 * Python pickle opcodes the restricted decoder refuses, by byte, so that an error names them.
 * Some execute code or import (REDUCE, INST, OBJ, NEWOBJ_EX, EXT*, PERSID), the rest carry data
 * the reference never writes into an account object (text-mode protocol 0, floats, long
 * integers, protocol-5 buffers, frozensets, stack shuffling).
 */
export const REFUSED_OPCODES: ReadonlyMap<number, string> = new Map([
  [0x49, 'INT'],
  [0x4c, 'LONG'],
  [0x8b, 'LONG4'],
  [0x53, 'STRING'],
  [0x54, 'BINSTRING'],
  [0x8e, 'BINBYTES8'],
  [0x96, 'BYTEARRAY8'],
  [0x97, 'NEXT_BUFFER'],
  [0x98, 'READONLY_BUFFER'],
  [0x56, 'UNICODE'],
  [0x8d, 'BINUNICODE8'],
  [0x46, 'FLOAT'],
  [0x47, 'BINFLOAT'],
  [0x6c, 'LIST'],
  [0x64, 'DICT'],
  [0x91, 'FROZENSET'],
  [0x30, 'POP'],
  [0x32, 'DUP'],
  [0x31, 'POP_MARK'],
  [0x67, 'GET'],
  [0x70, 'PUT'],
  [0x82, 'EXT1'],
  [0x83, 'EXT2'],
  [0x84, 'EXT4'],
  [0x52, 'REDUCE'],
  [0x69, 'INST'],
  [0x6f, 'OBJ'],
  [0x92, 'NEWOBJ_EX'],
  [0x50, 'PERSID'],
  [0x51, 'BINPERSID'],
]);
