/**
 * What a notice says to a person (title and body), under their notification settings: the words
 * the Electron app's system notifications and browser mode's browser notifications share.
 */
import type { Settings } from '../common/contract.js';
import { personWords } from '../common/people.js';
import type { Notice } from './notices.js';

export type NotificationKind = 'incoming-share' | 'share-result' | 'remote-unreachable' | 'free-tier' | 'daemon-error' | 'damaged-files' | 'password-changed-elsewhere';

export interface NotificationText {
  kind: NotificationKind;
  title: string;
  body: string;
}

/** What a password changed on another computer means here: a notification says it, and the Status page until the next lock. */
export const PASSWORD_CHANGED_ELSEWHERE =
  "Your account's password was changed on another computer. Hypergolix stays unlocked here; the next time you unlock it, use the new password. If it was not you, someone else knows your password or your recovery key: set a new password with your recovery kit (\"Forgot your password?\" when unlocking).";

const capitalised = (words: string) => words.charAt(0).toUpperCase() + words.slice(1);
const short = (ghid: string) => (ghid.length > 20 ? `${ghid.slice(0, 10)}…${ghid.slice(-6)}` : ghid);

/** A person in a notification: their contact name (with the fingerprint's start), or the fingerprint alone. */
function who(fingerprint: string, name: string | null): string {
  return name ? `${name} (${short(fingerprint)})` : short(fingerprint);
}

/** The notification for a notice under the user's settings, or null for none. */
export function notificationFor(n: Notice, settings: Settings | null): NotificationText | null {
  const on = settings?.desktop.notifications;
  if (!on) return null;
  switch (n.kind) {
    case 'incoming-share':
      if (!on.incoming_share) return null;
      if (n.waiting) return { kind: 'incoming-share', title: `${capitalised(personWords(n.name, n.contact))} shared something with you`, body: `${who(n.from, n.name)}. Open Hypergolix to accept or decline it.` };
      return n.again
        ? { kind: 'incoming-share', title: 'Shared object readable again', body: `${who(n.from, n.name)} shared again an object this computer could no longer read.` }
        : { kind: 'incoming-share', title: 'New shared object', body: `From ${who(n.from, n.name)}.` };
    case 'incoming-shares': {
      if (!on.incoming_share) return null;
      const all = n.waiting + n.taken;
      const title = `${all} more share${all === 1 ? '' : 's'} arrived`;
      const waiting = n.waiting === 0 ? '' : `${n.waiting === all ? (all === 1 ? 'It waits' : 'They wait') : `${n.waiting} wait`} for your answer. `;
      return { kind: 'incoming-share', title, body: `${waiting}Open Hypergolix to see ${all === 1 ? 'it' : 'them'} in Shares.` };
    }
    case 'share-result':
      if (!on.share_result) return null;
      if (n.unopened) return { kind: 'share-result', title: 'Share not opened', body: `${n.name ?? short(n.recipient)} could not open what you shared: your last change to it was still on its way to the server. Share it again in a moment.` };
      if (n.again && n.ok) return { kind: 'share-result', title: 'Shared again', body: `${n.name ?? short(n.recipient)} could no longer read an object you shared with them, and asked for it: it was shared again.` };
      return { kind: 'share-result', title: n.ok ? 'Share accepted' : 'Share refused', body: `${n.name ?? short(n.recipient)} ${n.ok ? 'accepted' : 'refused'} your share.` };
    case 'free-tier':
      if (!on.remote_unreachable) return null;
      if (n.revoked) return { kind: 'free-tier', title: `Registration on ${n.remote} revoked`, body: `${n.message.charAt(0).toUpperCase()}${n.message.slice(1)}. Your changes wait on this computer until then.` };
      return { kind: 'free-tier', title: `Register on ${n.remote} to upload more`, body: `${n.message.charAt(0).toUpperCase()}${n.message.slice(1)}. Your changes wait on this computer until then; use Register on the status page.` };
    case 'remote':
      // A single drop is not news: UnreachableWatch decides when a remote "stays" unreachable.
      return null;
    case 'daemon-error':
      return daemonErrorNotification(n.message, settings);
    case 'damaged-files':
      // A fault of Hypergolix's own storage, switched with its stopping on an error.
      if (!on.daemon_error) return null;
      return {
        kind: 'damaged-files',
        title: 'Damaged files on this computer',
        body: `${n.count === 1 ? 'An object' : `${n.count} objects`} of Hypergolix ${n.count === 1 ? 'is' : 'are'} damaged on this computer, and no remote has a good copy yet. Open Hypergolix to see which.`,
      };
    case 'password-changed-elsewhere':
      if (!on.account_change) return null;
      return { kind: 'password-changed-elsewhere', title: 'Password changed on another computer', body: PASSWORD_CHANGED_ELSEWHERE };
  }
}

export function daemonErrorNotification(message: string | null, settings: Settings | null): NotificationText | null {
  if (!settings?.desktop.notifications.daemon_error) return null;
  return { kind: 'daemon-error', title: 'Hypergolix stopped', body: message ?? 'Hypergolix stopped with an error. Open it to see what happened.' };
}

