import { randomBytes } from 'node:crypto';
import type { Connection } from '../remote/connection.js';
import { silentLogger, type RemoteLogger } from '../remote/logger.js';
import { IpcRefusal } from './refusal.js';

/** One connected app, for status displays (the desktop's "apps connected"). */
export interface ConnectedApp {
  id: number;
  /** The app token (hex) bound with `+T`, if any. An identifier, not a secret. */
  token: string | null;
  /** Authenticated with the IPC key; false for admitted legacy clients. */
  authenticated: boolean;
  legacy: boolean;
  /** Authenticated with `AU`, the key itself (an app built with hgx SDK 0.2): it should update its SDK. */
  sendsKey: boolean;
  /** api_ids it registered (88-character text). */
  apis: string[];
  tracked: number;
  connectedAt: number;
  lastActivity: number;
  remote: string;
}

/** One app connection: how it was admitted, its app token, what it registered and tracks. */
export class Session {
  connection!: Connection;
  admitted = false;
  authenticated = false;
  legacy = false;
  token: string | null = null;
  /** api_ids registered (88-character text). */
  readonly apis = new Set<string>();
  /** GHIDs (text) this connection tracks: it hears their updates and deletions. */
  readonly tracked = new Set<string>();
  readonly connectedAt = Date.now();
  /** When the app last asked something of the daemon. */
  lastActivity = Date.now();
  authTimer: NodeJS.Timeout | null = null;
  /** How it proved the key: the key proof (`AC`/`AP`), or the key itself (`AU`); null before. */
  handshake: 'proof' | 'key' | null = null;
  /** The key proof under way (`AC` answered), or spent: one per connection (key-gate.ts). */
  keyProof: { appNonce: Uint8Array; daemonNonce: Uint8Array; spent?: boolean } | null = null;
  /** Names this connection in share records when it has no token, so it still hears `^S`/`^F`. */
  readonly connKey = `conn:${randomBytes(8).toString('hex')}`;

  constructor(
    readonly id: number,
    readonly remote: string,
    private readonly logger: RemoteLogger = silentLogger,
  ) {}

  get name(): string {
    return `app#${this.id}`;
  }

  /** This connection as a status display shows it. */
  describe(): ConnectedApp {
    return {
      id: this.id,
      token: this.token,
      authenticated: this.authenticated,
      legacy: this.legacy && !this.authenticated,
      sendsKey: this.handshake === 'key',
      apis: [...this.apis],
      tracked: this.tracked.size,
      connectedAt: this.connectedAt,
      lastActivity: this.lastActivity,
      remote: this.remote,
    };
  }

  /** The app token, or a refusal naming what needs one. */
  requireToken(what: string): string {
    if (!this.token) throw new IpcRefusal(`${what} needs an app token: register one (+T) first`);
    return this.token;
  }

  /** Sends a request to the app; failures only cost a log line. Resolves to whether it was taken. */
  push(verb: string, body: Uint8Array): Promise<boolean> {
    if (!this.connection.isOpen) return Promise.resolve(false);
    return this.connection.request(verb, body).then(
      () => true,
      (err: Error) => {
        this.logger.debug(`${this.name}: ${verb} not taken: ${err.message}`);
        return false;
      },
    );
  }
}

/** The open sessions, and who holds which app token. */
export class SessionTable implements Iterable<Session> {
  private readonly all = new Set<Session>();
  private readonly byToken = new Map<string, Session>();
  private readonly byConnKey = new Map<string, Session>();

  get size(): number {
    return this.all.size;
  }

  [Symbol.iterator](): Iterator<Session> {
    return this.all[Symbol.iterator]();
  }

  /** The sessions that may use the daemon (authenticated, or admitted legacy clients). */
  admitted(): Session[] {
    return [...this.all].filter((s) => s.admitted);
  }

  add(s: Session): void {
    this.all.add(s);
    this.byConnKey.set(s.connKey, s);
  }

  remove(s: Session): void {
    this.all.delete(s);
    this.byConnKey.delete(s.connKey);
    if (s.token && this.byToken.get(s.token) === s) this.byToken.delete(s.token);
  }

  /** The session holding an app token now, if any. */
  holderOf(token: string): Session | undefined {
    return this.byToken.get(token);
  }

  bindToken(s: Session, token: string): void {
    s.token = token;
    this.byToken.set(token, s);
  }

  /** The session a share record names: by app token, else by connection key. */
  find(tokenOrConnKey: string): Session | undefined {
    return this.byToken.get(tokenOrConnKey) ?? this.byConnKey.get(tokenOrConnKey);
  }
}
