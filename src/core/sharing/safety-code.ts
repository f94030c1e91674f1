/**
 * The safety code two people compare to check that each has the other's real fingerprint (in
 * person or by phone): six words derived from both fingerprints, the same on both sides
 * whoever computes it. The fingerprints are sorted first, so the order never matters; a
 * fingerprint someone swapped in on the way gives different words.
 *
 * The words are hashed with SHA-256 under a label of their own (so the code says nothing else
 * about either key) and the first six bytes pick one word each from 256 short, distinct words.
 */
import { createHash } from 'node:crypto';
import type { Ghid } from '../golix/index.js';

/** 256 short, common, distinct words: one per byte value. */
const WORDS = `
  acid acorn actor adapt agent alarm album alley amber angle ankle apple apron arena armor arrow
  atlas attic autumn award bacon badge baker balmy banjo barn basil basket beach beard bench berry
  bison blade blaze blend bloom board boat bonus booth bottle brain brass bread brick bridge brook
  brush bucket buddy bugle bunny cabin cable cactus camel candle canoe canyon carpet carrot castle cedar
  chalk cheese cherry chess chief cider cinema circle clam clay cliff clock cloud clover coast cobra
  cocoa comet coral cotton cousin crane crayon cream crown cube cup curtain daisy dance delta denim
  desert dial diary dinner disk dock dolphin donkey door dragon drum duck dune eagle earth echo
  eel elbow elder ember engine falcon fern ferry fiddle field finch flag flame flute foam forest
  fossil fox frog fudge galaxy garden garlic gecko ginger glacier globe glove goat grape gravel guitar
  hammer harbor hazel helmet heron hiker honey horizon hotel igloo index ink island ivory jacket jade
  jaguar jelly jigsaw jockey juice jungle kayak kettle kitten kiwi koala ladder lagoon lamp lantern laser
  lava lemon lilac lion lizard llama lobster locket lotus magnet mango maple marble meadow melon mirror
  mitten monkey moose mosaic motor mural museum napkin nectar needle nest noodle novel oasis ocean olive
  onion orbit orchid otter owl oyster paddle palm panda paper parrot peach pearl pebble pepper piano
  pigeon pillow pilot pine planet plum pocket pony poppy potato prism pumpkin puzzle quail quartz quilt
  rabbit radar radio raven reef ribbon river robin rocket rose ruby saddle salmon sandal satin scarf
`.trim().split(/\s+/);

const LABEL = 'hypergolix safety code v1';
export const SAFETY_CODE_WORDS = 6;

export function safetyCode(a: Ghid, b: Ghid): string[] {
  const [first, second] = Buffer.compare(a.bytes, b.bytes) <= 0 ? [a, b] : [b, a];
  const digest = createHash('sha256').update(LABEL).update(first.bytes).update(second.bytes).digest();
  return [...digest.subarray(0, SAFETY_CODE_WORDS)].map((byte) => WORDS[byte]!);
}

/** For tests: the list is exactly one word per byte value. */
export const SAFETY_WORD_LIST: readonly string[] = WORDS;
