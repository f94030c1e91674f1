import { randomBytes } from 'node:crypto';
import type { StateNamespace } from '../account/state-namespace.js';
import type { DaemonPort } from '../daemon/port.js';
import { Ghid, MalformedGolixPrimitive, UnknownToken } from '../golix/index.js';
import type { RequestContext } from '../remote/connection.js';
import type { RemoteLogger } from '../remote/logger.js';
import type { Inbox } from './inbox.js';
import type { ObjectRecords } from './object-records.js';
import { IpcRefusal } from './refusal.js';
import type { Session, SessionTable } from './session.js';
import { APP_TOKEN_BYTES, ONE, checkApiIdBytes, idText, isAllZero } from '../../wire/index.js';

export interface AppRegistryDeps {
  daemon: Pick<DaemonPort, 'state'>;
  sessions: SessionTable;
  records: ObjectRecords;
  inbox: Inbox;
  logger: RemoteLogger;
  /** What the connections registered changed (the server tells its listeners). */
  changed: () => void;
}

/**
 * Who the apps are (hypergolix-reference §4.2): app tokens (`+T`), the api_ids each registered
 * (`+A`/`-A`) and each token's startup object (`$T`/`+$`/`-$`). All of it lives in the account
 * state (defect 20), so an app that comes back with its token finds its registrations, and the
 * shares kept for them, again.
 */
export class AppRegistry {
  /** token hex → {at}. */
  private readonly tokens: StateNamespace;
  /** token hex → [api_id text…]. */
  private readonly apis: StateNamespace;
  /** token hex → GHID text. */
  private readonly startups: StateNamespace;

  constructor(private readonly d: AppRegistryDeps) {
    this.tokens = d.daemon.state('ipc:token:');
    this.apis = d.daemon.state('ipc:apis:');
    this.startups = d.daemon.state('ipc:startup:');
  }

  /** `+T`: a zero token asks for a new one; a known one binds this connection to it. */
  async setToken(s: Session, body: Buffer, ctx: RequestContext): Promise<Uint8Array> {
    if (body.length !== APP_TOKEN_BYTES) throw new MalformedGolixPrimitive(`An app token is ${APP_TOKEN_BYTES} bytes, got ${body.length}`);
    if (!s.authenticated) {
      throw new IpcRefusal('App tokens need an authenticated connection (AU): legacy clients may use public objects only');
    }
    if (s.token) throw new IpcRefusal('This connection already has an app token; each app uses one');
    const token = isAllZero(body) ? await this.issue(s) : this.known(s, body.toString('hex'));
    // Asked twice at once: the first answer won while the new token was being written.
    if (s.token) throw new IpcRefusal('This connection already has an app token; each app uses one');
    this.d.sessions.bindToken(s, token);
    // Registrations made before the token join the token's; the token's come back (defect 20).
    const saved = this.savedApis(token);
    const merged = new Set([...saved, ...s.apis]);
    for (const a of merged) s.apis.add(a);
    if (merged.size !== saved.length) this.apis.set(token, [...merged]);
    ctx.afterResponse(() => {
      this.d.changed();
      for (const a of s.apis) void this.d.inbox.deliverTo(s, a);
    });
    return Buffer.from(token, 'hex');
  }

  private async issue(s: Session): Promise<string> {
    let token: string;
    do token = randomBytes(APP_TOKEN_BYTES).toString('hex');
    while (this.tokens.get(token) !== undefined || /^0+$/.test(token));
    this.tokens.set(token, { at: Date.now() });
    await this.tokens.flush();
    this.d.logger.info(`${s.name}: new app token ${token.slice(0, 8)}…`);
    return token;
  }

  private known(s: Session, token: string): string {
    if (this.tokens.get(token) === undefined) throw new UnknownToken('Unknown app token: ask for a new one with a zero token');
    const other = this.d.sessions.holderOf(token);
    if (other && other !== s) throw new IpcRefusal('That app token is in use by another connection; each token serves one connection');
    return token;
  }

  private savedApis(token: string): string[] {
    const v = this.apis.get(token);
    return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : [];
  }

  /** `$T`: the token's startup object, or nothing. */
  getStartup(s: Session): Uint8Array {
    const v = this.startups.get(s.requireToken('A startup object'));
    return typeof v === 'string' ? Ghid.fromText(v).bytes : new Uint8Array(0);
  }

  registerStartup(s: Session, body: Buffer): Uint8Array {
    const token = s.requireToken('A startup object');
    const ghid = Ghid.fromBytes(body);
    this.d.records.checkAccess(s, ghid);
    this.startups.set(token, ghid.text);
    return ONE;
  }

  deregisterStartup(s: Session): Uint8Array {
    this.startups.delete(s.requireToken('A startup object'));
    return ONE;
  }

  /** `+A`: the app hears shares and new objects of this api_id; kept shares are delivered. */
  registerApi(s: Session, body: Buffer, ctx: RequestContext): Uint8Array {
    const api = idText(checkApiIdBytes(body));
    s.apis.add(api);
    if (s.token) {
      const saved = this.savedApis(s.token);
      if (!saved.includes(api)) this.apis.set(s.token, [...saved, api]);
    }
    ctx.afterResponse(() => {
      this.d.changed();
      void this.d.inbox.deliverTo(s, api);
    });
    return ONE;
  }

  deregisterApi(s: Session, body: Buffer): Uint8Array {
    const api = idText(checkApiIdBytes(body));
    s.apis.delete(api);
    if (s.token) {
      const saved = this.savedApis(s.token);
      if (saved.includes(api)) {
        const rest = saved.filter((a) => a !== api);
        if (rest.length > 0) this.apis.set(s.token, rest);
        else this.apis.delete(s.token);
      }
    }
    this.d.changed();
    return ONE;
  }
}
