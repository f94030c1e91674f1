import type { Ghid } from '../golix/index.js';
import type { Notification } from '../rules/persistence-engine.js';

/**
 * Who is subscribed to what, in both directions, so that fan-out on publish and clean-up on
 * disconnect are both proportional to what they touch. In memory only: subscriptions are lost
 * on restart and clients resubscribe (hypergolix-reference §3.5).
 */
export class SubscriptionRegistry<Peer> {
  private readonly byGhid = new Map<string, Set<Peer>>();
  private readonly byPeer = new Map<Peer, Map<string, Ghid>>();
  private total = 0;

  /** All (peer, GHID) pairs. */
  get size(): number {
    return this.total;
  }

  /** Adds a subscription; false when the peer already had it. */
  add(peer: Peer, ghid: Ghid): boolean {
    let own = this.byPeer.get(peer);
    if (!own) this.byPeer.set(peer, (own = new Map()));
    if (own.has(ghid.text)) return false;
    own.set(ghid.text, ghid);
    let peers = this.byGhid.get(ghid.text);
    if (!peers) this.byGhid.set(ghid.text, (peers = new Set()));
    peers.add(peer);
    this.total++;
    return true;
  }

  /** Removes a subscription; false when the peer did not have it. */
  remove(peer: Peer, ghid: Ghid): boolean {
    const own = this.byPeer.get(peer);
    if (!own?.delete(ghid.text)) return false;
    if (own.size === 0) this.byPeer.delete(peer);
    const peers = this.byGhid.get(ghid.text)!;
    peers.delete(peer);
    if (peers.size === 0) this.byGhid.delete(ghid.text);
    this.total--;
    return true;
  }

  has(peer: Peer, ghid: Ghid): boolean {
    return this.byPeer.get(peer)?.has(ghid.text) ?? false;
  }

  /** Subscriptions of one peer, in the order they were made. */
  of(peer: Peer): Ghid[] {
    return [...(this.byPeer.get(peer)?.values() ?? [])];
  }

  countOf(peer: Peer): number {
    return this.byPeer.get(peer)?.size ?? 0;
  }

  /** Whether any peer is subscribed to a GHID, by its text. */
  watched(ghidText: string): boolean {
    return this.byGhid.has(ghidText);
  }

  /** Peers subscribed to a GHID (a copy, safe to iterate while subscriptions change). */
  subscribersOf(ghid: Ghid): Peer[] {
    return [...(this.byGhid.get(ghid.text) ?? [])];
  }

  /** Drops every subscription of a peer; returns how many there were. */
  removeAll(peer: Peer): number {
    const own = this.byPeer.get(peer);
    if (!own) return 0;
    const ghids = [...own.values()];
    for (const ghid of ghids) this.remove(peer, ghid);
    return ghids.length;
  }
}

/** What the fan-out needs of a subscriber. */
export interface Subscriber {
  /** Names its connection as the uploader of what it publishes (IngestHooks.origin). */
  readonly origin: symbol;
  readonly pushes: { push(subscribed: Ghid, raw: Buffer): void };
}

/**
 * Pushes each notification to every subscriber of its GHID but the connection that uploaded its
 * object (hypergolix-reference §3.4). That is not always `publisher`, whose publish released it:
 * a frame held for its container is announced when the container arrives, perhaps from another
 * connection, and the engine names the frame's uploader as the notification's `origin`. Without
 * one (an engine that does not track uploaders) the publisher is taken for the uploader, as a
 * frame and its container mostly come over one connection; with neither (another node's
 * publish), everyone subscribed is told.
 */
export function fanOut<P extends Subscriber>(registry: SubscriptionRegistry<P>, notifications: readonly Notification[], publisher: P | null): void {
  for (const n of notifications) {
    const uploader = n.origin ?? publisher?.origin;
    for (const peer of registry.subscribersOf(n.subscribed)) {
      if (peer.origin !== uploader) peer.pushes.push(n.subscribed, n.object.raw);
    }
  }
}
