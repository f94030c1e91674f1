/**
 * A symmetric request/response peer over one WebSocket (hypergolix-reference §3.1): both ends
 * may send requests on the same socket, each picks its own tokens, and a response is matched
 * only against the receiver's own outstanding requests. The persistence server, the remote
 * client, the daemon's IPC server and the `hgx` SDK all use it, over any WHATWG-shaped socket
 * (`socket.ts`): the `ws` package in Node, the global WebSocket in a browser.
 *
 * Nothing a peer sends can throw out of this class: malformed frames are answered with `NK`
 * (defect 16), handler failures become `NK` with the error's wire code and NK details, text
 * messages and oversize messages close the socket cleanly.
 */
import {
  CommsError,
  ConnectionClosed,
  HypergolixError,
  MessageTooLarge,
  RemoteNak,
  RequestTimeout,
  TooManyRequests,
  codeOf,
  errorFromCode,
  type NakDetails,
} from './errors.js';
import {
  ACK,
  FRAME_HEADER_BYTES,
  MAX_TOKEN,
  MalformedFrame,
  NAK,
  UNATTRIBUTED_TOKEN,
  decodeFrame,
  encodeAck,
  encodeFrame,
  encodeNak,
  hex4,
  summarizeFrame,
  type Frame,
} from './frame.js';
import { Heartbeat } from './heartbeat.js';
import { frameSink, silentLogger, type PeerLogger } from './logger.js';
import { decodeNak } from './nak.js';
import { peerLimits, timerDelay } from './peer-limits.js';
import { PendingRequests } from './pending.js';
import { CLOSE_CODES, READY_STATE, bytesOf, type WireSocket } from './socket.js';

export type * from './peer-options.js';
import type { CloseInfo, PeerHandle, PeerOptions, RequestContext, RequestHandler, RequestOptions } from './peer-options.js';

interface Queued<B extends Uint8Array> {
  frame: Frame<B>;
  handler: RequestHandler<B>;
}

const EMPTY = new Uint8Array(0);

export class Peer<B extends Uint8Array = Uint8Array> implements PeerHandle<B> {
  readonly socket: WireSocket;
  readonly name: string;
  /** Resolves once the socket has closed and every pending request was rejected. */
  readonly closed: Promise<CloseInfo>;

  private readonly o: PeerOptions<B>;
  private readonly handlers: ReadonlyMap<string, RequestHandler<B>>;
  private readonly requestTimeoutMs: number;
  private readonly maxConcurrent: number;
  private readonly maxQueued: number;
  private readonly maxQueuedBytes: number;
  private readonly maxMessageBytes: number;
  private readonly maxBufferedBytes: number;
  private readonly logger: PeerLogger;
  private readonly frameLog: ((direction: 'in' | 'out', summary: string) => void) | null;
  private readonly toBytes: (data: unknown) => B | null;

  private readonly pending: PendingRequests<B>;
  private readonly queue: Queued<B>[] = [];
  private readonly closeListeners: ((info: CloseInfo) => void)[] = [];
  private queuedBytes = 0;
  private running = 0;
  private readonly heartbeat: Heartbeat | null = null;
  private resolveClosed!: (info: CloseInfo) => void;
  private closeInfo: CloseInfo | null = null;

  constructor(socket: WireSocket, options: PeerOptions<B> = {}) {
    const limits = peerLimits(options, (MAX_TOKEN + 1) / 2);
    const heartbeatMs = limits.heartbeatMs;
    if (heartbeatMs > 0 && !options.extras) throw new TypeError('A heartbeat needs a socket that can ping (options.extras)');
    this.socket = socket;
    this.o = options;
    this.name = options.name ?? 'peer';
    const h = options.handlers ?? new Map<string, RequestHandler<B>>();
    this.handlers = h instanceof Map ? h : new Map(Object.entries(h));
    this.requestTimeoutMs = limits.requestTimeoutMs;
    this.pending = new PendingRequests<B>(limits.maxOutstanding);
    this.maxConcurrent = limits.maxConcurrent;
    this.maxQueued = limits.maxQueued;
    this.maxQueuedBytes = limits.maxQueuedBytes;
    this.maxMessageBytes = limits.maxMessageBytes;
    this.maxBufferedBytes = limits.maxBufferedBytes;
    this.logger = options.logger ?? silentLogger;
    this.frameLog = frameSink(this.logger);
    // Without a converter of its own, B is Uint8Array (the default type argument).
    this.toBytes = options.bytes ?? (bytesOf as (data: unknown) => B | null);
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));

    socket.binaryType = options.binaryType ?? 'arraybuffer';
    socket.addEventListener('message', (event) => this.onMessage(event.data));
    // Without a listener, `ws` would throw its protocol errors (oversize, bad close frame, …)
    // and take the process down; it closes the socket after reporting them.
    socket.addEventListener('error', (event) => this.logger.debug(`${this.name}: socket error: ${event.message ?? String(event.error)}`));
    socket.addEventListener('close', (event) => this.onClose(event.code, event.reason));
    if (socket.readyState === READY_STATE.closed) queueMicrotask(() => this.onClose(CLOSE_CODES.abnormal, 'closed before use'));

    if (heartbeatMs > 0) {
      this.heartbeat = new Heartbeat({
        periodMs: heartbeatMs,
        extras: options.extras!,
        isOpen: () => this.socket.readyState === READY_STATE.open,
        onSilent: () => {
          this.logger.debug(`${this.name}: no traffic and no pong for a whole heartbeat period; dropping`);
          this.terminate();
        },
        onPingError: (err) => this.logger.debug(`${this.name}: ping failed: ${err.message}`),
      });
    }
  }

  get isOpen(): boolean {
    return this.closeInfo === null && this.socket.readyState === READY_STATE.open;
  }

  /**
   * Whether the peer still answers (Heartbeat.probe): false, and the link dropped, when nothing
   * is heard from it within `timeoutMs`. Without a heartbeat (a socket that cannot ping, or none
   * asked for) nothing can be asked: whether the socket is open.
   */
  async probe(timeoutMs: number): Promise<boolean> {
    if (!this.heartbeat || !this.isOpen) return this.isOpen;
    if (await this.heartbeat.probe(timeoutMs)) return true;
    if (this.isOpen) {
      this.logger.debug(`${this.name}: nothing heard within ${timeoutMs} ms of a ping; dropping`);
      this.terminate();
    }
    return false;
  }

  /** Own requests awaiting an answer. */
  get outstanding(): number {
    return this.pending.size;
  }

  /** Incoming requests being handled or waiting for a slot. */
  get busy(): number {
    return this.running + this.queue.length;
  }

  /** Calls `listener` once, synchronously, when the socket has closed (like `onClose`). */
  once(event: 'close', listener: (info: CloseInfo) => void): this {
    if (event === 'close') this.closeListeners.push(listener);
    return this;
  }

  /**
   * Sends a request and resolves with the `AK` body. Rejects with the typed error of an `NK`
   * (errorFromCode, with its details), RequestTimeout, ConnectionClosed, TooManyRequests or
   * MessageTooLarge — all CommsErrors but the first.
   */
  request(verb: string, body: Uint8Array = EMPTY, options: RequestOptions = {}): Promise<B> {
    if (!this.isOpen) return Promise.reject(new ConnectionClosed(`${this.name}: not connected`));
    if (verb === ACK || verb === NAK) return Promise.reject(new CommsError(`${verb} is a response code, not a request`));
    if (this.pending.size >= this.pending.max) {
      return Promise.reject(new TooManyRequests(`${this.name}: too many outstanding requests (${this.pending.size})`));
    }
    if (FRAME_HEADER_BYTES + body.length > this.maxMessageBytes) {
      return Promise.reject(new MessageTooLarge(`${verb} request of ${body.length} bytes exceeds the ${this.maxMessageBytes}-byte message limit`));
    }
    let timeoutMs: number;
    try {
      timeoutMs = options.timeoutMs === undefined ? this.requestTimeoutMs : timerDelay('timeoutMs', options.timeoutMs);
    } catch (err) {
      return Promise.reject(err);
    }
    const token = this.pending.allocate();
    let frame: Uint8Array;
    try {
      frame = encodeFrame(verb, token, body);
    } catch (err) {
      return Promise.reject(err);
    }
    const answer = this.pending.add(token, timeoutMs, () => new RequestTimeout(`${this.name}: ${verb} got no answer within ${timeoutMs} ms`));
    if (!this.send(frame)) this.pending.settle(token, new ConnectionClosed(`${this.name}: connection closed while sending ${verb}`));
    return answer;
  }

  /** Starts the closing handshake. Pending requests reject once the socket has closed. */
  close(code: number = CLOSE_CODES.normal, reason = ''): void {
    const state = this.socket.readyState;
    if (state === READY_STATE.closing || state === READY_STATE.closed) return;
    try {
      this.socket.close(code, reason);
    } catch {
      // A browser refuses codes other than 1000 and 3000–4999.
      this.terminate();
    }
  }

  /** Drops the connection without a closing handshake (or closes plainly, where the socket cannot). */
  terminate(): void {
    if (this.o.extras) {
      this.o.extras.terminate();
      return;
    }
    try {
      this.socket.close();
    } catch {
      // already closed
    }
  }

  /** Hands one frame to the socket. False when it cannot be sent. */
  private send(frame: Uint8Array): boolean {
    if (!this.isOpen) return false;
    if (this.socket.bufferedAmount > this.maxBufferedBytes) {
      this.logger.warn(`${this.name}: peer is not reading (${this.socket.bufferedAmount} bytes unsent); closing`);
      this.close(CLOSE_CODES.tryAgainLater, 'not reading');
      return false;
    }
    this.frameLog?.('out', `${this.name} ${summarizeFrame(frame)}`);
    try {
      this.socket.send(frame);
    } catch (err) {
      this.logger.debug(`${this.name}: send failed: ${(err as Error).message}`);
      return false;
    }
    return true;
  }

  private sendNak(token: number, code: number | null, message: string, details: NakDetails = {}): void {
    this.o.onNakSent?.(code);
    this.send(encodeNak(token, code, message, details));
  }

  private onMessage(data: unknown): void {
    this.heartbeat?.heardFrom();
    if (this.closeInfo) return;
    const bytes = this.toBytes(data);
    if (bytes === null) {
      // A text message has no defined layout, so there is no token to answer; the reference
      // protocol is binary-only (§3.1), and 1003 says exactly that.
      this.logger.debug(`${this.name}: text message received; closing with 1003`);
      this.o.onNakSent?.(0x000e);
      this.close(CLOSE_CODES.unsupportedData, 'binary frames only');
      return;
    }
    if (bytes.length > this.maxMessageBytes) {
      this.logger.debug(`${this.name}: message of ${bytes.length} bytes exceeds the ${this.maxMessageBytes}-byte limit; closing with 1009`);
      this.close(CLOSE_CODES.messageTooBig, 'message too big');
      return;
    }
    this.frameLog?.('in', `${this.name} ${summarizeFrame(bytes)}`);
    let frame: Frame<B>;
    try {
      frame = decodeFrame(bytes);
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
      if (err.token !== null) this.pending.settle(err.token, err);
      return;
    }
    this.sendNak(err.token ?? UNATTRIBUTED_TOKEN, err.code, err.message);
  }

  private nakError(body: B): Error {
    const nak = decodeNak(body);
    if (this.o.nakError) return this.o.nakError(nak);
    if (nak.code === null) return new RemoteNak(`${this.name} refused the request without a reason`);
    return errorFromCode(nak.code, nak.message || `${this.name} refused the request`, nak);
  }

  private onResponse(token: number, outcome: B | Error): void {
    if (this.pending.settle(token, outcome)) return;
    if (this.pending.takeRetired(token)) {
      this.logger.debug(`${this.name}: late answer for token ${hex4(token)} dropped`);
      return;
    }
    this.logger.debug(`${this.name}: answer for unknown token ${hex4(token)} dropped`);
  }

  private onRequest(frame: Frame<B>): void {
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
      this.sendNak(frame.token, 0x000a, 'Busy: too many requests in flight on this connection', { reason: 'busy' });
      return;
    }
    this.queue.push({ frame, handler });
    this.queuedBytes += frame.body.length;
  }

  private async run(frame: Frame<B>, handler: RequestHandler<B>): Promise<void> {
    this.running++;
    const after: (() => void)[] = [];
    const context: RequestContext<B> = {
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
      if (FRAME_HEADER_BYTES + out.length > this.maxMessageBytes) {
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

  private answerError(frame: Frame<B>, err: unknown): void {
    if (err instanceof HypergolixError) {
      this.logger.debug(`${this.name}: ${frame.code} refused: ${err.name}: ${err.message}`);
      this.sendNak(frame.token, err.code, err.message, err);
      return;
    }
    const refusal = this.o.refusalOf?.(err);
    if (refusal) {
      this.sendNak(frame.token, refusal.code, refusal.message, refusal);
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

  private onClose(code: number, reason: string): void {
    if (this.closeInfo) return;
    const info = { code, reason };
    this.closeInfo = info;
    this.heartbeat?.stop();
    this.queue.length = 0;
    this.queuedBytes = 0;
    const what = `${code}${reason ? ` ${reason}` : ''}`;
    this.pending.failAll(new ConnectionClosed(`${this.name}: connection closed (${what})`));
    this.logger.debug(`${this.name}: closed (${what})`);
    this.resolveClosed(info);
    for (const listener of [this.o.onClose, ...this.closeListeners.splice(0)]) {
      try {
        listener?.(info);
      } catch (err) {
        this.logger.error(`${this.name}: close listener failed`, err);
      }
    }
  }
}
