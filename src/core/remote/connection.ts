/**
 * A symmetric request/response peer over one `ws` WebSocket (hypergolix-reference §3.1): both
 * ends may send requests on the same socket, each picks its own tokens, and a response is matched
 * only against the receiver's own outstanding requests. Used by the persistence server, the
 * remote client, and later the IPC transport (same framing, other verbs).
 *
 * Nothing a peer sends can throw out of this class: malformed frames are answered with `NK`
 * (defect 16), handler failures become `NK` with the error's wire code, text messages and
 * oversize messages close the socket cleanly.
 */
import { randomInt } from 'node:crypto';
import { EventEmitter } from 'node:events';
import WebSocket, { type RawData } from 'ws';
import { CommsError, HypergolixError, RemoteNak, codeOf, errorFromCode } from '../golix/index.js';
import { frameSink, silentLogger, type RemoteLogger } from './logger.js';
import {
  ACK,
  MAX_TOKEN,
  MalformedFrame,
  NAK,
  UNATTRIBUTED_TOKEN,
  decodeFrame,
  decodeNak,
  encodeAck,
  encodeFrame,
  encodeNak,
  hex4,
  summarizeFrame,
  type Frame,
} from './wire.js';

export const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
export const DEFAULT_MAX_MESSAGE_BYTES = 10 * 1024 * 1024;

/** WebSocket close codes this module uses (RFC 6455 §7.4.1). */
export const CLOSE_CODES = {
  normal: 1000,
  goingAway: 1001,
  unsupportedData: 1003,
  policyViolation: 1008,
  messageTooBig: 1009,
  tryAgainLater: 1013,
} as const;

export interface RequestContext {
  readonly connection: Connection;
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
 * thrown HypergolixError becomes `NK` with its code and message; anything else becomes `NK FFFF`
 * with a generic message, so internals never leak to a peer.
 */
export type RequestHandler = (body: Buffer, context: RequestContext) => Uint8Array | void | Promise<Uint8Array | void>;

export interface ConnectionOptions {
  /** Incoming verbs this end answers; any other verb gets `NK 000E`. */
  handlers?: ReadonlyMap<string, RequestHandler> | Readonly<Record<string, RequestHandler>>;
  /** How long `request()` waits for the answer. @default 30000 */
  requestTimeoutMs?: number;
  /** Own requests awaiting an answer; more reject at once with CommsError. @default 1024 */
  maxOutstandingRequests?: number;
  /** Incoming requests handled at the same time. @default 32 */
  maxConcurrentHandlers?: number;
  /** Incoming requests waiting for a handler slot; more are refused with `NK 000A`. @default 256 */
  maxQueuedRequests?: number;
  /** Bytes of waiting incoming requests; more are refused with `NK 000A`. @default 33554432 (32 MiB) */
  maxQueuedBytes?: number;
  /**
   * Largest frame this end sends. The incoming cap is the socket's `maxPayload`, which the creator
   * of the socket sets (ws closes with 1009 before reading an oversize message).
   * @default 10485760 (10 MiB)
   */
  maxMessageBytes?: number;
  /** Unsent bytes queued on the socket before the peer counts as not reading and is dropped. @default 67108864 (64 MiB) */
  maxBufferedBytes?: number;
  /**
   * Ping period. A peer that sent nothing (not even a pong) for a whole period is terminated.
   * 0 disables. @default 0
   */
  heartbeatMs?: number;
  /** Peer description for logs. @default 'peer' */
  name?: string;
  /** @default silent */
  logger?: RemoteLogger;
  /** Called for every `NK` this end sends (metrics). */
  onNakSent?: (code: number | null) => void;
}

export interface CloseInfo {
  readonly code: number;
  readonly reason: string;
}

export interface RequestOptions {
  /** Overrides the connection's requestTimeoutMs for this request. */
  timeoutMs?: number;
}

interface Pending {
  verb: string;
  resolve: (body: Buffer) => void;
  reject: (err: Error) => void;
  timer: NodeJS.Timeout;
}

interface Queued {
  frame: Frame;
  handler: RequestHandler;
}

const EMPTY = Buffer.alloc(0);

function toBuffer(data: RawData): Buffer {
  if (Buffer.isBuffer(data)) return data;
  if (Array.isArray(data)) return Buffer.concat(data);
  return Buffer.from(data);
}

export class Connection extends EventEmitter<{ close: [info: CloseInfo] }> {
  readonly socket: WebSocket;
  readonly name: string;
  /** Resolves once the socket has closed and every pending request was rejected. */
  readonly closed: Promise<CloseInfo>;

  private readonly handlers: ReadonlyMap<string, RequestHandler>;
  private readonly requestTimeoutMs: number;
  private readonly maxOutstanding: number;
  private readonly maxConcurrent: number;
  private readonly maxQueued: number;
  private readonly maxQueuedBytes: number;
  private readonly maxMessageBytes: number;
  private readonly maxBufferedBytes: number;
  private readonly logger: RemoteLogger;
  private readonly frameLog: ((direction: 'in' | 'out', summary: string) => void) | null;
  private readonly onNakSent: ((code: number | null) => void) | undefined;

  private readonly pending = new Map<number, Pending>();
  /**
   * Tokens of requests that timed out, held back for one more timeout period so that a late
   * answer cannot be taken for the answer to a newer request that reused the token.
   */
  private readonly retired = new Map<number, NodeJS.Timeout>();
  private readonly queue: Queued[] = [];
  private queuedBytes = 0;
  private running = 0;
  private heard = true;
  private heartbeat: NodeJS.Timeout | null = null;
  private resolveClosed!: (info: CloseInfo) => void;
  private closeInfo: CloseInfo | null = null;

  constructor(socket: WebSocket, options: ConnectionOptions = {}) {
    super();
    this.socket = socket;
    this.name = options.name ?? 'peer';
    const h = options.handlers ?? new Map<string, RequestHandler>();
    this.handlers = h instanceof Map ? h : new Map(Object.entries(h));
    this.requestTimeoutMs = options.requestTimeoutMs ?? DEFAULT_REQUEST_TIMEOUT_MS;
    // Half the token space at most, so that a free token is always found quickly.
    this.maxOutstanding = Math.min(options.maxOutstandingRequests ?? 1024, (MAX_TOKEN + 1) / 2);
    this.maxConcurrent = Math.max(1, options.maxConcurrentHandlers ?? 32);
    this.maxQueued = options.maxQueuedRequests ?? 256;
    this.maxQueuedBytes = options.maxQueuedBytes ?? 32 * 1024 * 1024;
    this.maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.maxBufferedBytes = options.maxBufferedBytes ?? 64 * 1024 * 1024;
    this.logger = options.logger ?? silentLogger;
    this.frameLog = frameSink(this.logger);
    this.onNakSent = options.onNakSent;
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));

    socket.binaryType = 'nodebuffer';
    socket.on('message', (data, isBinary) => this.onMessage(data, isBinary));
    socket.on('pong', () => (this.heard = true));
    // ws reports protocol violations (oversize, bad UTF-8 in a close frame, …) here and then
    // closes; without a listener the error would be thrown and take the process down.
    socket.on('error', (err) => this.logger.debug(`${this.name}: socket error: ${err.message}`));
    socket.on('close', (code, reason) => this.onClose(code, reason.toString('utf8')));
    if (socket.readyState === WebSocket.CLOSED) queueMicrotask(() => this.onClose(1006, 'closed before use'));

    const heartbeatMs = options.heartbeatMs ?? 0;
    if (heartbeatMs > 0) {
      this.heartbeat = setInterval(() => this.beat(), heartbeatMs);
      this.heartbeat.unref();
    }
  }

  get isOpen(): boolean {
    return this.closeInfo === null && this.socket.readyState === WebSocket.OPEN;
  }

  /** Own requests awaiting an answer. */
  get outstanding(): number {
    return this.pending.size;
  }

  /** Incoming requests being handled or waiting for a slot. */
  get busy(): number {
    return this.running + this.queue.length;
  }

  /**
   * Sends a request and resolves with the `AK` body. Rejects with the typed error of an `NK`
   * (errorFromCode), or CommsError for a timeout, a closed connection or too many outstanding
   * requests.
   */
  request(verb: string, body: Uint8Array = EMPTY, options: RequestOptions = {}): Promise<Buffer> {
    if (!this.isOpen) return Promise.reject(new CommsError(`${this.name}: not connected`));
    if (verb === ACK || verb === NAK) return Promise.reject(new CommsError(`${verb} is a response code, not a request`));
    if (this.pending.size >= this.maxOutstanding) {
      return Promise.reject(new CommsError(`${this.name}: too many outstanding requests (${this.pending.size})`));
    }
    if (6 + body.length > this.maxMessageBytes) {
      return Promise.reject(new CommsError(`${verb} request of ${body.length} bytes exceeds the ${this.maxMessageBytes}-byte message limit`));
    }
    let frame: Buffer;
    try {
      frame = encodeFrame(verb, this.allocateToken(), body);
    } catch (err) {
      return Promise.reject(err);
    }
    const token = frame.readUInt16BE(4);
    const timeoutMs = options.timeoutMs ?? this.requestTimeoutMs;
    return new Promise<Buffer>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.pending.delete(token);
        this.retire(token, timeoutMs);
        reject(new CommsError(`${this.name}: ${verb} got no answer within ${timeoutMs} ms`));
      }, timeoutMs);
      this.pending.set(token, { verb, resolve, reject, timer });
      if (!this.send(frame)) this.settle(token, new CommsError(`${this.name}: connection closed while sending ${verb}`));
    });
  }

  /** Starts the closing handshake. Pending requests reject once the socket has closed. */
  close(code: number = CLOSE_CODES.normal, reason = ''): void {
    const state = this.socket.readyState;
    if (state === WebSocket.CLOSING || state === WebSocket.CLOSED) return;
    try {
      this.socket.close(code, reason);
    } catch {
      this.socket.terminate();
    }
  }

  /** Drops the TCP connection without a closing handshake. */
  terminate(): void {
    this.socket.terminate();
  }

  private allocateToken(): number {
    // Random tokens make a stale or forged answer unlikely to hit a live request.
    for (;;) {
      const token = randomInt(1, MAX_TOKEN + 1);
      if (!this.pending.has(token) && !this.retired.has(token)) return token;
    }
  }

  private retire(token: number, ms: number): void {
    if (this.retired.size >= this.maxOutstanding) return; // never let timeouts exhaust the token space
    const timer = setTimeout(() => this.retired.delete(token), ms);
    timer.unref();
    this.retired.set(token, timer);
  }

  private settle(token: number, outcome: Buffer | Error): void {
    const p = this.pending.get(token);
    if (!p) return;
    this.pending.delete(token);
    clearTimeout(p.timer);
    if (outcome instanceof Error) p.reject(outcome);
    else p.resolve(outcome);
  }

  /** Hands one frame to the socket. False when it cannot be sent. */
  private send(frame: Buffer): boolean {
    if (!this.isOpen) return false;
    if (this.socket.bufferedAmount > this.maxBufferedBytes) {
      this.logger.warn(`${this.name}: peer is not reading (${this.socket.bufferedAmount} bytes unsent); closing`);
      this.close(CLOSE_CODES.tryAgainLater, 'not reading');
      return false;
    }
    this.frameLog?.('out', `${this.name} ${summarizeFrame(frame)}`);
    this.socket.send(frame, { binary: true }, (err) => {
      if (err) this.logger.debug(`${this.name}: send failed: ${err.message}`);
    });
    return true;
  }

  private sendNak(token: number, code: number | null, message: string): void {
    this.onNakSent?.(code);
    this.send(encodeNak(token, code, message));
  }

  private onMessage(data: RawData, isBinary: boolean): void {
    this.heard = true;
    if (this.closeInfo) return;
    if (!isBinary) {
      // A text message has no defined layout, so there is no token to answer; the reference
      // protocol is binary-only (§3.1), and 1003 says exactly that.
      this.logger.debug(`${this.name}: text message received; closing with 1003`);
      this.onNakSent?.(0x000e);
      this.close(CLOSE_CODES.unsupportedData, 'binary frames only');
      return;
    }
    const buf = toBuffer(data);
    this.frameLog?.('in', `${this.name} ${summarizeFrame(buf)}`);
    let frame: Frame;
    try {
      frame = decodeFrame(buf);
    } catch (err) {
      this.onMalformed(err as MalformedFrame);
      return;
    }
    if (frame.code === ACK) return this.onResponse(frame.token, frame.body);
    if (frame.code === NAK) return this.onResponse(frame.token, this.nakError(frame.body));
    this.onRequest(frame);
  }

  private onMalformed(err: MalformedFrame): void {
    this.logger.debug(`${this.name}: malformed frame: ${err.message}`);
    // Answering a broken response with NK could start two peers NK-ing each other forever;
    // the broken answer fails its own request instead, if it names one.
    if (err.verb === ACK || err.verb === NAK) {
      if (err.token !== null && this.pending.has(err.token)) this.settle(err.token, err);
      return;
    }
    this.sendNak(err.token ?? UNATTRIBUTED_TOKEN, err.code, err.message);
  }

  private nakError(body: Buffer): HypergolixError {
    const nak = decodeNak(body);
    if (nak.code === null) return new RemoteNak(`${this.name} refused the request without a reason`);
    return errorFromCode(nak.code, nak.message || `${this.name} refused the request`);
  }

  private onResponse(token: number, outcome: Buffer | Error): void {
    if (this.pending.has(token)) return this.settle(token, outcome);
    if (this.retired.has(token)) {
      clearTimeout(this.retired.get(token));
      this.retired.delete(token);
      this.logger.debug(`${this.name}: late answer for token ${hex4(token)} dropped`);
      return;
    }
    this.logger.debug(`${this.name}: answer for unknown token ${hex4(token)} dropped`);
  }

  private onRequest(frame: Frame): void {
    const handler = this.handlers.get(frame.code);
    if (!handler) {
      this.sendNak(frame.token, 0x000e, `Unknown request code ${JSON.stringify(frame.code)}`);
      return;
    }
    if (this.running < this.maxConcurrent) {
      void this.run(frame, handler);
      return;
    }
    if (this.queue.length >= this.maxQueued || this.queuedBytes + frame.body.length > this.maxQueuedBytes) {
      this.sendNak(frame.token, 0x000a, 'Busy: too many requests in flight on this connection');
      return;
    }
    this.queue.push({ frame, handler });
    this.queuedBytes += frame.body.length;
  }

  private async run(frame: Frame, handler: RequestHandler): Promise<void> {
    this.running++;
    const after: (() => void)[] = [];
    const context: RequestContext = {
      connection: this,
      verb: frame.code,
      token: frame.token,
      afterResponse: (task) => void after.push(task),
    };
    try {
      let body: Uint8Array | void;
      try {
        body = await handler(frame.body, context);
      } catch (err) {
        this.answerError(frame, err);
        return;
      }
      const out = body ?? EMPTY;
      if (6 + out.length > this.maxMessageBytes) {
        this.sendNak(frame.token, 0x000e, `The answer of ${out.length} bytes exceeds the ${this.maxMessageBytes}-byte message limit`);
        return;
      }
      this.send(encodeAck(frame.token, out));
      for (const task of after) {
        try {
          task();
        } catch (err) {
          this.logger.error(`${this.name}: after-response task of ${frame.code} failed`, err);
        }
      }
    } finally {
      this.running--;
      this.drain();
    }
  }

  private answerError(frame: Frame, err: unknown): void {
    if (err instanceof HypergolixError) {
      this.logger.debug(`${this.name}: ${frame.code} refused: ${err.name}: ${err.message}`);
      this.sendNak(frame.token, err.code, err.message);
      return;
    }
    this.logger.error(`${this.name}: ${frame.code} handler failed`, err);
    this.sendNak(frame.token, codeOf(err), 'Internal error');
  }

  private drain(): void {
    while (this.running < this.maxConcurrent && this.queue.length > 0 && !this.closeInfo) {
      const next = this.queue.shift()!;
      this.queuedBytes -= next.frame.body.length;
      void this.run(next.frame, next.handler);
    }
  }

  private beat(): void {
    if (!this.heard) {
      this.logger.debug(`${this.name}: no traffic and no pong for a whole heartbeat period; dropping`);
      this.socket.terminate();
      return;
    }
    this.heard = false;
    if (this.socket.readyState === WebSocket.OPEN) {
      this.socket.ping(undefined, undefined, (err) => {
        if (err) this.logger.debug(`${this.name}: ping failed: ${err.message}`);
      });
    }
  }

  private onClose(code: number, reason: string): void {
    if (this.closeInfo) return;
    const info = { code, reason };
    this.closeInfo = info;
    if (this.heartbeat) clearInterval(this.heartbeat);
    for (const timer of this.retired.values()) clearTimeout(timer);
    this.retired.clear();
    this.queue.length = 0;
    this.queuedBytes = 0;
    const err = new CommsError(`${this.name}: connection closed (${code}${reason ? ` ${reason}` : ''})`);
    for (const token of [...this.pending.keys()]) this.settle(token, err);
    this.logger.debug(`${this.name}: closed (${code}${reason ? ` ${reason}` : ''})`);
    this.resolveClosed(info);
    this.emit('close', info);
  }
}
