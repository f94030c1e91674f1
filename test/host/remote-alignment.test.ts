// How the Settings form's remotes line up with the file's (src/host/remote-alignment.ts): kept
// remotes are never rewritten; an edit stays in its item; only a reorder or an insertion between
// kept remotes falls back to position by position (null).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { alignRemotes } from '../../src/host/remote-alignment.js';

test('kept, removed, edited in place and appended, each where the form puts it', () => {
  const cases: [string, string[], string[], ReturnType<typeof alignRemotes>][] = [
    ['nothing changed', ['a', 'b'], ['a', 'b'], { removed: [], edited: [], kept: [[0, 0], [1, 1]], appended: [] }],
    ['one removed', ['a', 'b', 'c'], ['a', 'c'], { removed: [1], edited: [], kept: [[0, 0], [2, 1]], appended: [] }],
    ['one appended', ['a'], ['a', 'd'], { removed: [], edited: [], kept: [[0, 0]], appended: [1] }],
    ['one edited in place', ['a', 'b', 'c'], ['a', 'b2', 'c'], { removed: [], edited: [[1, 1]], kept: [[0, 0], [2, 2]], appended: [] }],
    // The case the position-by-position way got wrong: c was rewritten from b's item, losing its page.
    ['one removed and the next edited: the edit keeps the slot next to the kept one', ['a', 'b', 'c'], ['b2', 'c'], { removed: [0], edited: [[1, 0]], kept: [[2, 1]], appended: [] }],
    ['the last edited and one appended', ['a', 'b'], ['a', 'b2', 'd'], { removed: [], edited: [[1, 1]], kept: [[0, 0]], appended: [2] }],
    ['all replaced', ['a', 'b'], ['x', 'y', 'z'], { removed: [], edited: [[0, 0], [1, 1]], kept: [], appended: [2] }],
    ['all removed', ['a', 'b'], [], { removed: [0, 1], edited: [], kept: [], appended: [] }],
    ['from none', [], ['a'], { removed: [], edited: [], kept: [], appended: [0] }],
  ];
  for (const [what, old, next, want] of cases) assert.deepEqual(alignRemotes(old, next), want, what);
});

test('a reorder, an insertion between kept remotes, or a duplicate has no alignment (position by position instead)', () => {
  assert.equal(alignRemotes(['a', 'b'], ['b', 'a']), null, 'reordered');
  assert.equal(alignRemotes(['a', 'c'], ['a', 'b', 'c']), null, 'inserted between');
  assert.equal(alignRemotes(['a', 'a'], ['a']), null, 'a duplicate in the file');
  assert.equal(alignRemotes(['a'], ['a', 'a']), null, 'a duplicate in the form');
});
