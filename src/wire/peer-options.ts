/**
 * What a `Peer` (peer.ts) is configured with and hands its handlers: options, the request
 * context, handler and refusal shapes, close information. Only types: peer.ts depends on this
 * file, not the other way round (a handler sees its connection as a `PeerHandle`).
 */
import type { NakDetails } from './errors.js';
import type { PeerLogger } from './logger.js';
import type { Nak } from './nak.js';
import type { SocketExtras } from './socket.js';

/** What a handler may do with the connection its request came on (a `Peer` is one). */
export interface PeerHandle<B extends Uint8Array = Uint8Array> {
  readonly isOpen: boolean;
  request(verb: string, body?: Uint8Array, options?: RequestOptions): Promise<B>;
  close(code?: number, reason?: string): void;
  terminate(): void;
}

export interface RequestContext<B extends Uint8Array = Uint8Array> {
  readonly connection: PeerHandle<B>;
  readonly verb: string;
  readonly token: number;
  /**
   * Runs `task` once the response has been handed to the socket, so that pushes a request causes
   * (the `!!` replays after `+S`) reach the peer after its answer.
   */
  afterResponse(task: () => void): void;
}

/**
 * Answers one incoming request. The returned bytes are the `AK` body (nothing = empty body). A
 * thrown HypergolixError becomes `NK` with its code, message and details; anything else becomes
 * `NK FFFF` with a generic message (unless `refusalOf` says otherwise), so internals never leak.
 */
export type RequestHandler<B extends Uint8Array = Uint8Array> = (body: B, context: RequestContext<B>) => Uint8Array | void | Promise<Uint8Array | void>;

/** How to answer a failure: an `NK` code, its message and details. */
export interface Refusal extends NakDetails {
  readonly code: number;
  readonly message: string;
}

export interface PeerOptions<B extends Uint8Array = Uint8Array> {
  /** Incoming verbs this end answers; any other verb gets `NK 000E`. */
  handlers?: ReadonlyMap<string, RequestHandler<B>> | Readonly<Record<string, RequestHandler<B>>>;
  /** How long `request()` waits for the answer. @default DEFAULT_REQUEST_TIMEOUT_MS (30000) */
  requestTimeoutMs?: number;
  /** Own requests awaiting an answer; more reject at once with TooManyRequests. @default 1024 */
  maxOutstandingRequests?: number;
  /** Incoming requests handled at the same time. @default 32 */
  maxConcurrentHandlers?: number;
  /** Incoming requests waiting for a handler slot; more are refused with `NK 000A`. @default 256 */
  maxQueuedRequests?: number;
  /** Bytes of waiting incoming requests; more are refused with `NK 000A`. @default 33554432 (32 MiB) */
  maxQueuedBytes?: number;
  /**
   * Largest message either way. A larger request is refused before it is sent, a larger answer
   * becomes `NK 000E`, and a larger incoming message closes the socket with 1009 (a Node socket
   * is best also given it as `maxPayload`, so that it never reads one in full).
   * @default 10485760 (10 MiB)
   */
  maxMessageBytes?: number;
  /** Unsent bytes queued on the socket before the peer counts as not reading and is dropped. @default 67108864 (64 MiB) */
  maxBufferedBytes?: number;
  /**
   * Ping period, with `extras`. A peer that sent nothing (not even a pong) for a whole period is
   * terminated. 0 disables. @default 0
   */
  heartbeatMs?: number;
  /** Peer description for logs and error messages. @default 'peer' */
  name?: string;
  /** @default silent */
  logger?: PeerLogger;
  /** Called for every `NK` this end sends (metrics). */
  onNakSent?: (code: number | null) => void;
  /** Called once, synchronously, when the socket has closed. */
  onClose?: (info: CloseInfo) => void;
  /** Set on the socket: how it should deliver binary messages. @default 'arraybuffer' */
  binaryType?: string;
  /** Turns received message data into bytes; null for a text message. @default bytesOf */
  bytes?: (data: unknown) => B | null;
  /** Ping/pong and terminate, where the socket has them (Node's `ws`). */
  extras?: SocketExtras;
  /** Builds the rejection of a request that got an `NK`. @default the error class of its code (errorFromCode) */
  nakError?: (nak: Nak) => Error;
  /** How a handler failure that is not a HypergolixError is answered; null = `NK FFFF`, generic message, logged. */
  refusalOf?: (err: unknown) => Refusal | null;
}

export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

export interface RequestOptions {
  /** Overrides the peer's requestTimeoutMs for this request. */
  timeoutMs?: number;
}
