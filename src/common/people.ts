/**
 * People and consent, as the UI, the CLI, the README and the daemon all say them: the trust
 * levels a contact has, and the one wording of the choices an incoming share offers. Imports
 * nothing (the renderer loads it too, and the core reads the trust levels).
 */

/** How far a contact is trusted: `trusted` shares arrive at once, `ask` wait for you, `blocked` are declined. */
export const TRUST_LEVELS = ['trusted', 'ask', 'blocked'] as const;
export type TrustLevel = (typeof TRUST_LEVELS)[number];

export const CONTACT_NAME_MAX = 64;

/** How someone without a name is called wherever a person is shown. */
export const STRANGER = 'someone not in your contacts';
/** A contact the user has not named (someone they shared with becomes a contact, unnamed). */
export const UNNAMED_CONTACT = 'an unnamed contact';

/** What each trust level means, in the words the contacts list and `contacts --help` use. */
export const TRUST_WORDS: Record<TrustLevel, [label: string, meaning: string]> = {
  trusted: ['Trusted', 'their shares arrive at once'],
  ask: ['Ask me', 'their shares wait for you to accept or decline'],
  blocked: ['Blocked', 'their shares are declined without asking you'],
};

/** The three answers to a share that waits, and what each one does. */
export const CONSENT_CHOICES = {
  acceptOnce: ['Accept once', 'Open this object. Their next share of another object asks you again.'],
  acceptAndTrust: ['Accept and trust', 'Open this object, and accept their shares from now on without asking.'],
  decline: ['Decline', 'Refuse this object; the sender is told. Tick "block" to refuse their later shares too.'],
} as const satisfies Record<string, readonly [string, string]>;

/** The known object types by api_id text (the reference's defaults), for "what" a share is. */
export const KNOWN_API_IDS: Record<string, string> = {
  ['A'.repeat(86) + 'E=']: 'raw bytes',
  ['A'.repeat(86) + 'I=']: 'Python pickle',
  ['A'.repeat(86) + 'M=']: 'JSON',
};

/**
 * The words for an object's type: a known one by name; else "an app's own type", with the name
 * the app wrote into its API ID when that is plain text (apps often pad a name to 64 bytes), or
 * the ID's last characters. The name is the sender's to choose, so it is only ever shown quoted,
 * after "an app's own type", and only when every character is printable ASCII.
 */
export function apiTypeWords(apiId: string | null): string {
  if (apiId === null) return 'type not known until accepted';
  const known = KNOWN_API_IDS[apiId];
  if (known) return known;
  const name = apiIdName(apiId);
  return name === null ? `an app's own type (${apiId.slice(-10)})` : `an app's own type ("${name}")`;
}

/** Characters an app may have padded its name with to fill the API ID's 64 bytes. */
const NAME_PADDING = /[\0 ._=*#-]+$/;

/** The plain-text name in an API ID's 64 bytes, its padding dropped; null when there is none. */
export function apiIdName(apiId: string): string | null {
  let bytes: string;
  try {
    // atob, not Buffer: the renderer loads this module too.
    bytes = atob(apiId.replace(/-/g, '+').replace(/_/g, '/'));
  } catch {
    return null;
  }
  if (bytes.length !== 65 || bytes.charCodeAt(0) !== 0) return null;
  const name = bytes.slice(1).replace(NAME_PADDING, '');
  return name.length >= 3 && /^[\x20-\x7e]+$/.test(name) ? name : null;
}

/** A size in bytes in plain words. */
export function sizeWords(bytes: number | null): string {
  if (bytes === null) return 'size not known';
  if (bytes < 1024) return `${bytes} bytes`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
}

/**
 * A share this computer can no longer read (it missed more versions than one carries keys
 * for), and has asked its sender to share again: the CLI and the UI say it in these words.
 */
export function askedAgainWords(name: string | null | undefined, contact = false): string {
  return `Cannot be read on this computer (it missed too many versions while it was off); asked ${personWords(name, contact)} to share it again`;
}

/**
 * A shared object its author deleted since: for a share received, its sender (named as
 * `personWords` does); for one sent, you. The CLI and the UI say it in these words.
 */
export function deletedWords(direction: 'incoming' | 'outgoing', name: string | null | undefined, contact = false): string {
  return direction === 'incoming' ? `Deleted by ${personWords(name, contact)}: it can no longer be opened` : 'Deleted by you: nobody can open it any more';
}

/**
 * A person's shares as the CLI and the UI list them: those waiting for their answer, those they
 * received, and those they sent. Only an incoming share can wait for *them*: one they sent that
 * has no answer yet is "waiting" for the recipient, and is listed with what they sent.
 */
export function shareGroups<S extends { direction: 'incoming' | 'outgoing'; state: string }>(all: readonly S[]): { waiting: S[]; received: S[]; sent: S[] } {
  const incoming = all.filter((s) => s.direction === 'incoming');
  return {
    waiting: incoming.filter((s) => s.state === 'waiting'),
    received: incoming.filter((s) => s.state !== 'waiting'),
    sent: all.filter((s) => s.direction === 'outgoing'),
  };
}

/** Who someone is, in words: the contact's name; else an unnamed contact, or the stranger phrase. */
export function personWords(name: string | null | undefined, contact = false): string {
  return name ?? (contact ? UNNAMED_CONTACT : STRANGER);
}
