/**
 * Cross-node pushes: after a commit, a node NOTIFYs the others of what its commit announces
 * (which subscribed GHID, which object), never inside the write transaction; every node LISTENs
 * on a connection of its own, fetches the objects named and pushes them to its own subscribers.
 *
 * A node that loses its listening connection can no longer know what it misses, so it says so
 * (`lost`: the server closes its clients, who reconnect — to another node behind the load
 * balancer, or to this one once it listens again — resubscribe and catch up), and reconnects by
 * itself; when it listens again it says so once more, for the clients that connected meanwhile.
 */
import type { Logger } from '../log/index.js';
import type { SqlClient, SqlListener } from './sql.js';

export const CHANNEL = 'hypergolix_push';

/** One announcement: a subscribed GHID and the object to push for it, as GHID texts. */
export interface Announcement {
  subscribed: string;
  object: string;
}

/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more; each pair takes 178. */
const PAIRS_PER_PAYLOAD = 40;

/** `<node> <subscribed>:<object> …` (GHID texts hold neither spaces nor colons). */
export function encodePayloads(node: string, items: readonly Announcement[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < items.length; i += PAIRS_PER_PAYLOAD) {
    out.push([node, ...items.slice(i, i + PAIRS_PER_PAYLOAD).map((a) => `${a.subscribed}:${a.object}`)].join(' '));
  }
  return out;
}

export function decodePayload(payload: string): { node: string; items: Announcement[] } | null {
  const [node, ...pairs] = payload.split(' ');
  if (!node) return null;
  const items: Announcement[] = [];
  for (const p of pairs) {
    const [subscribed, object, extra] = p.split(':');
    if (!subscribed || !object || extra !== undefined) return null;
    items.push({ subscribed, object });
  }
  return { node, items };
}

/** Sends the announcements of one commit, on any connection outside a transaction. */
export async function announce(client: SqlClient, node: string, items: readonly Announcement[]): Promise<void> {
  if (items.length === 0) return;
  await client.query('SELECT pg_notify($1, p) FROM unnest($2::text[]) AS p', [CHANNEL, encodePayloads(node, items)]);
}

export interface PushChannelOptions {
  node: string;
  /** A new unconnected client for each (re)connection. */
  connect: () => Promise<SqlListener>;
  /** Announcements of other nodes. */
  heard: (items: Announcement[]) => void;
  /** Lost or regained the channel: the server closes its clients. */
  lost: (reason: string) => void;
  log: Logger;
  /** Between reconnection attempts. @default 1000 */
  retryMs?: number;
}

export class PushChannel {
  private client: SqlListener | null = null;
  private closed = false;
  private timer: NodeJS.Timeout | null = null;
  private listening = false;

  constructor(private readonly o: PushChannelOptions) {}

  /** Whether the channel listens now. */
  get up(): boolean {
    return this.listening;
  }

  /** Connects and listens; rejects when the first attempt fails (the caller decides). */
  async start(): Promise<void> {
    await this.listen();
  }

  private async listen(): Promise<void> {
    const client = await this.o.connect();
    let gone = false;
    const drop = (why: string): void => {
      if (gone) return;
      gone = true;
      client.end().catch(() => {});
      if (this.client !== client) return;
      this.client = null;
      if (this.closed) return;
      this.listening = false;
      this.o.log.warn(`Lost the cross-node push channel (${why}); reconnecting`);
      this.o.lost(`lost the cross-node push channel (${why})`);
      this.schedule();
    };
    client.on('error', (err) => drop(err.message));
    client.on('end', () => drop('connection closed'));
    client.on('notification', (msg) => {
      if (gone || msg.channel !== CHANNEL || msg.payload === undefined) return;
      const decoded = decodePayload(msg.payload);
      if (!decoded) this.o.log.warn('Ignored a malformed cross-node push announcement');
      else if (decoded.node !== this.o.node && decoded.items.length > 0) this.o.heard(decoded.items);
    });
    try {
      await client.connect();
      await client.query(`LISTEN ${CHANNEL}`);
    } catch (err) {
      gone = true;
      client.end().catch(() => {});
      throw err;
    }
    if (this.closed) {
      await client.end().catch(() => {});
      return;
    }
    // It failed between LISTEN's answer and here (pg reports an error that followed the answer
    // in the same read before this resumes): not a listening connection. A start is refused; a
    // reconnection tries again.
    if (gone) throw new Error('the connection failed as it began to listen');
    this.client = client;
    this.listening = true;
  }

  private schedule(): void {
    if (this.closed || this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = null;
      this.listen().then(
        () => {
          if (!this.listening) return;
          this.o.log.info('Cross-node push channel listening again');
          this.o.lost('the cross-node push channel is back; resubscribe to catch up');
        },
        () => this.schedule(),
      );
    }, this.o.retryMs ?? 1000);
    this.timer.unref();
  }

  async close(): Promise<void> {
    this.closed = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    this.listening = false;
    const c = this.client;
    this.client = null;
    if (c) await c.end().catch(() => {});
  }
}
