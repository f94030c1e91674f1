/**
 * The request codes of the remote persistence protocol (hypergolix-reference §3.3). Kept apart
 * from the framing (`src/wire/frame.ts`), which the IPC protocol reuses with its own verbs.
 */
export const RemoteVerb = {
  /** Either direction; empty body → `01`. */
  ping: '??',
  /** One packed Golix object → `01` new / `00` already stored. */
  publish: 'PB',
  /** GHID → the packed object (a dynamic GHID gives its current frame). */
  get: 'GT',
  /** GHID → `01`; then every stored GARQ for it arrives as `!!`. */
  subscribe: '+S',
  /** GHID → `01` had it / `00` did not. */
  unsubscribe: '-S',
  /** Empty → GHID list of this connection's subscriptions. */
  listSubscriptions: '?S',
  /** GHID → GHID list of the GOBS/GOBD binding it. */
  listBindings: '?B',
  /** GHID → GHID list of the GDXX debinding it. */
  listDebindings: '?D',
  /** GHID → `01` / `00`. */
  exists: '?E',
  /** Empty → `01`; drops all of this connection's subscriptions. */
  disconnect: 'XX',
  /** Server → client: subscribed GHID (65) ‖ one packed object → `01`. */
  update: '!!',
} as const;

export type RemoteVerb = (typeof RemoteVerb)[keyof typeof RemoteVerb];

export const REMOTE_VERBS: ReadonlySet<string> = new Set<string>(Object.values(RemoteVerb));

/** Readable names for logs and metrics, keyed by code. */
export const REMOTE_VERB_NAMES: Readonly<Record<RemoteVerb, string>> = Object.fromEntries(
  Object.entries(RemoteVerb).map(([name, code]) => [code, name]),
) as Record<RemoteVerb, string>;
