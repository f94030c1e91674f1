import type { Ghid, Gobd } from '../golix/index.js';
import { NotThisFormat, type AccountFormat } from './errors.js';
import { fetchObject, type ObjectSource } from './source.js';

/** The current frame of an account's root node (user ID): a dynamic binding, whatever the format. */
export async function fetchRootFrame(source: ObjectSource, userId: Ghid, expected: AccountFormat | 'any'): Promise<Gobd> {
  const root = await fetchObject(source, userId, 'root node');
  if (root.type !== 'GOBD' || !root.dynamic.equals(userId)) {
    const what = root.type === 'GOBD' ? 'one frame of a dynamic object' : `a ${root.type}`;
    throw new NotThisFormat(expected, null, `${userId.short} is not a user ID: it names ${what}, not a dynamic object`);
  }
  return root;
}
