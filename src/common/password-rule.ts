/**
 * The one password rule of the account, used by the wizard (as the user types), the CLI (at a
 * terminal and with --password-stdin), the desktop host and password changes and recovery.
 * No imports: it runs in the renderer as well as in the core and the hosts.
 *
 * A small password-strength heuristic. The password is the only thing
 * between an attacker holding the public root frames and the account (reference defect 4), so
 * the meter errs on the side of calling things weak. It estimates guessing entropy from length
 * and character classes, then takes bits away for the patterns guessers try first.
 */

export type StrengthLabel = 'too short' | 'very weak' | 'weak' | 'fair' | 'good' | 'strong';

export interface Strength {
  /** 0 (unusable) … 4 (strong). */
  score: 0 | 1 | 2 | 3 | 4;
  label: StrengthLabel;
  /** Rough guessing entropy in bits, after penalties. */
  bits: number;
  /** What would make it better, most useful first; empty when strong. */
  hints: string[];
  /** Whether the wizard lets this password through. */
  acceptable: boolean;
}

export const MIN_LENGTH = 10;
/**
 * The longest password, in UTF-16 units (as a request to the desktop host counts it: the
 * contract's LIMITS.password). Every way of setting one holds to it, or a password set at a
 * terminal could never be typed into the desktop app.
 */
export const MAX_LENGTH = 1024;

// The passwords and words guessers try first; compared after lower-casing and undoing leetspeak.
const COMMON = new Set(
  (
    'password passw0rd password1 123456 1234567 12345678 123456789 1234567890 0123456789 qwerty qwertyuiop ' +
    'qwerty123 asdfgh asdfghjkl zxcvbnm 111111 000000 123123 654321 666666 121212 abc123 abcdef abcdefgh ' +
    'iloveyou letmein welcome welcome1 admin administrator root toor login master monkey dragon football ' +
    'baseball basketball soccer hockey superman batman trustno1 sunshine princess shadow michael jennifer ' +
    'charlie jordan hunter ranger buster thomas tigger robert daniel starwars whatever freedom secret ' +
    'secret123 changeme default guest test test123 testing hello hello123 flower summer winter spring autumn ' +
    'love lovely computer internet google facebook linkedin apple samsung microsoft windows linux ubuntu ' +
    'hypergolix golix muterra access mustang cheese pepper ginger killer jessica ashley nicole hannah ' +
    'matrix ninja azerty solo pass pass123 passphrase mypassword yourpassword nothing unknown qazwsx ' +
    '1q2w3e4r 1qaz2wsx zaq12wsx q1w2e3r4 p@ssword correcthorsebatterystaple'
  ).split(' '),
);

const LEET: Record<string, string> = { '0': 'o', '1': 'i', '3': 'e', '4': 'a', '5': 's', '7': 't', '@': 'a', $: 's', '!': 'i' };

const log2 = Math.log2;

function classes(pw: string) {
  return {
    lower: /[a-z]/.test(pw),
    upper: /[A-Z]/.test(pw),
    digit: /[0-9]/.test(pw),
    symbol: /[^A-Za-z0-9\s]/.test(pw) && /[\x21-\x7e]/.test(pw.replace(/[A-Za-z0-9]/g, '')),
    space: /\s/.test(pw),
    other: /[^\x00-\x7f]/.test(pw),
  };
}

/** Normalised forms a guesser would try against its word list. */
function variants(pw: string): string[] {
  const lower = pw.toLowerCase();
  const unleet = (s: string) => [...s].map((c) => LEET[c] ?? c).join('');
  // Guessers append digits and a symbol to a word ("Summer2024!"), and swap letters for lookalikes.
  const trimmed = lower.replace(/^[^a-z@$]+|[^a-z@$]+$/g, '');
  return [lower, unleet(lower), trimmed, unleet(trimmed), lower.replace(/\s+/g, '')];
}

export function isCommonPassword(pw: string): boolean {
  return variants(pw).some((v) => v.length > 0 && COMMON.has(v));
}

/** Length of runs like "aaaa", "abcd", "4321" that add almost nothing for a guesser. */
function patternChars(pw: string): number {
  let wasted = 0;
  for (let i = 2; i < pw.length; i++) {
    const a = pw.charCodeAt(i - 2), b = pw.charCodeAt(i - 1), c = pw.charCodeAt(i);
    const repeat = a === b && b === c;
    const run = b - a === c - b && Math.abs(c - b) === 1;
    if (repeat || run) wasted++;
  }
  return wasted;
}

export function passwordStrength(pw: string): Strength {
  const length = [...pw].length;
  const c = classes(pw);
  const pool = (c.lower ? 26 : 0) + (c.upper ? 26 : 0) + (c.digit ? 10 : 0) + (c.symbol ? 33 : 0) + (c.space ? 1 : 0) + (c.other ? 100 : 0);
  let bits = length * log2(Math.max(pool, 2));
  bits -= patternChars(pw) * log2(Math.max(pool, 2));
  // Dictionary words cost a guesser about 2^11 tries each rather than 2^(4.7·letters).
  const words = pw.toLowerCase().match(/[a-z]{4,}/g) ?? [];
  for (const w of words) bits -= Math.max(0, w.length * 4.7 - 14);
  const common = isCommonPassword(pw);
  if (common) bits = Math.min(bits, 10);
  if (/^\d+$/.test(pw)) bits = Math.min(bits, length * 3.32);
  bits = Math.max(0, Math.round(bits));

  const hints: string[] = [];
  if (common) hints.push('This is one of the first passwords anyone would try.');
  if (length < MIN_LENGTH) hints.push(`Use at least ${MIN_LENGTH} characters.`);
  else if (length < 16) hints.push('Longer is stronger: a few unrelated words make a good passphrase.');
  const kinds = [c.lower, c.upper, c.digit, c.symbol || c.space || c.other].filter(Boolean).length;
  if (kinds < 3 && length < 20) hints.push('Mix in capitals, digits or symbols.');
  if (patternChars(pw) > 2) hints.push('Avoid repeated characters and sequences like "abcd" or "1234".');

  let score: Strength['score'];
  let label: StrengthLabel;
  if (length < MIN_LENGTH) [score, label] = [0, 'too short'];
  else if (bits < 35) [score, label] = [0, 'very weak'];
  else if (bits < 50) [score, label] = [1, 'weak'];
  else if (bits < 65) [score, label] = [2, 'fair'];
  else if (bits < 85) [score, label] = [3, 'good'];
  else [score, label] = [4, 'strong'];
  if (score === 4) hints.length = 0;
  return { score, label, bits, hints, acceptable: !common && length >= MIN_LENGTH && score >= 2 };
}

/** What the rule asks of a password that is not checked for strength (--allow-weak-password). */
export interface PasswordRuleOptions {
  /** Skip the strength check (only the length stays); scripts ask for this explicitly. */
  allowWeak?: boolean;
}

/**
 * Why this password may not protect an account, in one sentence for the person choosing it;
 * null when it may. The length rule always holds; the strength check can be waived explicitly.
 */
export function passwordRefusal(pw: string, options: PasswordRuleOptions = {}): string | null {
  const length = [...pw].length;
  if (length < MIN_LENGTH) return `Use at least ${MIN_LENGTH} characters (this one has ${length}).`;
  if (pw.length > MAX_LENGTH) return `Use at most ${MAX_LENGTH} characters (this one has ${pw.length}).`;
  if (options.allowWeak) return null;
  const s = passwordStrength(pw);
  if (s.acceptable) return null;
  if (isCommonPassword(pw)) return 'This is one of the first passwords anyone would try; choose another.';
  return `This password is ${s.label}: ${s.hints[0] ?? 'make it longer.'}`;
}
