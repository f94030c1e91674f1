/**
 * setupNotifications: the controller's notices → desktop notifications, each kind switched by
 * the `desktop.notifications` settings. Which notices deserve a notification, and how a remote
 * that "stays unreachable" is told from a short blip, is issue 7's to decide; this is the hook.
 */
import type { Settings } from '../common/contract.js';
import type { Notice } from '../host/controller.js';

export interface NotificationText {
  title: string;
  body: string;
}

/** Electron's Notification behind one call (main.ts checks Notification.isSupported()). */
export interface Notifier {
  show(n: NotificationText): void;
}

const short = (ghid: string) => (ghid.length > 20 ? `${ghid.slice(0, 10)}…${ghid.slice(-6)}` : ghid);

/** The notification for a notice under the user's settings, or null for none. */
export function notificationFor(n: Notice, settings: Settings | null): NotificationText | null {
  const on = settings?.desktop.notifications;
  if (!on) return null;
  switch (n.kind) {
    case 'incoming-share':
      if (!on.incoming_share) return null;
      return n.waiting
        ? { title: 'Someone shared something with you', body: `From ${short(n.from)}. Open Hypergolix to accept or decline it.` }
        : { title: 'New shared object', body: `From ${short(n.from)}.` };
    case 'share-result':
      if (!on.share_result) return null;
      return { title: n.ok ? 'Share accepted' : 'Share refused', body: `${short(n.recipient)} ${n.ok ? 'accepted' : 'refused'} your share.` };
    case 'remote':
      // Issue 7: only a remote that stays unreachable for a while; a single drop is not news.
      return null;
    case 'daemon-error':
      if (!on.daemon_error) return null;
      return { title: 'Hypergolix stopped', body: n.message };
  }
}

export function setupNotifications(
  host: { onNotice(listener: (n: Notice) => void): () => void; settings(): Settings | null },
  notifier: Notifier,
): () => void {
  return host.onNotice((n) => {
    const text = notificationFor(n, host.settings());
    if (text) notifier.show(text);
  });
}
