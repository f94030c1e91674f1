import type { Ghid } from '../golix/index.js';
import type { ApiId } from './hgxd.js';

/** An app object as the daemon sees it. */
export interface AppObject {
  ghid: Ghid;
  dynamic: boolean;
  apiId: ApiId;
  state: Buffer;
  /** Binder (dynamic) or author (static). */
  author: Ghid;
  /** Current frame counter (dynamic), else 0n. */
  counter: bigint;
  /** The container currently shown. */
  container: Ghid;
}
