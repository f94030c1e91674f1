/**
 * Registration over the server's HTTP listener (the one of /healthz and /metrics):
 *
 * - `GET /register/challenge` → `{"challenge", "expiresInMs", "policy"}`: a fresh challenge for
 *   the daemon to sign (proof.ts), naming this server as the daemon asked for it (the
 *   Hypergolix-Server header, else Host): 421 when `publicNames` are set and it is not one.
 * - `GET /register?fingerprint=…&challenge=…&signature=…` → the page (page.ts): checks the link
 *   and, by policy, registers (open), records a request (approval) or asks for a code (invite).
 * - `POST /register` (form: the same three fields and `code`) → the page, under invite.
 * - `GET /register/status?fingerprint=…` → `{"status", "usedBytes", "freeBytes"}` for clients.
 * - `POST /accounts/webhook` (`Authorization: Bearer <server.registration_webhook_secret>`,
 *   JSON `{"action": "approve"|"revoke", "fingerprint"}`) → `{"fingerprint", "status"}`: how a
 *   payment or sign-up system decides accounts.
 *
 * A link is good once: a challenge the server did not issue, one already used or expired, or a
 * signature that is not the fingerprint's own over it, is refused (403) and changes nothing.
 * (A link for an account already registered or revoked only shows that, and is not used up.)
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Ghid } from '../golix/index.js';
import { parseTarget } from '../util/http-target.js';
import { SERVER_NAME_HEADER, nameMatches, readChallenge, serverName, type Challenges } from './challenges.js';
import { PAGE_CSP, renderPage, type PageContent } from './page.js';
import { signedByOlderVersion, verifyChallenge } from './proof.js';
import { ACCOUNT_STATUSES, type RegistrationPolicy } from './records.js';
import type { AccountRegistry } from './registry.js';

/** What the endpoints need once the store is open. */
export interface RegistrationDeps {
  policy: Exclude<RegistrationPolicy, 'off'>;
  accounts: AccountRegistry;
  challenges: Challenges;
  /** The identity's GIDC as stored on this server, or null. */
  identityOf(fingerprint: Ghid): Promise<Buffer | null>;
  /** Bytes the identity stores here (what the free tier counts). */
  usedBytes(fingerprint: Ghid): number | Promise<number>;
  freeBytes: number;
  webhookSecret: string | null;
  /**
   * The names this server answers to (`host`, any port, or `host:port`; from `serverName`).
   * Empty or absent: a challenge names the server as the daemon asked for it, which stops a
   * remote that passes another server's challenge on as it got it, not one that asks that
   * server under its own name; with the names set, the server issues and accepts only those.
   */
  publicNames?: readonly string[];
}

export type RefusalReason = 'challenge' | 'server_name' | 'signature' | 'unknown_identity' | 'invite' | 'revoked' | 'webhook_auth';

const MAX_BODY_BYTES = 8192;

/** The server's HTTP extension (`HttpExtension` of remote/http-endpoints.ts) for registration. */
export class RegistrationEndpoints {
  private readonly refusals = new Map<RefusalReason, number>();

  /** `deps()` is null while the store is still opening (the endpoints answer 503). */
  constructor(private readonly deps: () => RegistrationDeps | null) {}

  handle(req: IncomingMessage, res: ServerResponse): boolean {
    const url = parseTarget(req.url);
    if (!url) return false;
    // HEAD is GET without the body (Node leaves the body out of a HEAD's answer).
    const route = `${req.method === 'HEAD' ? 'GET' : (req.method ?? 'GET')} ${url.pathname}`;
    const run = ROUTES[route];
    if (!run) {
      const allowed = Object.keys(ROUTES).flatMap((r) => (r.endsWith(` ${url.pathname}`) ? [r.split(' ')[0]!] : []));
      if (allowed.length === 0) return false;
      json(res, 405, { status: 'method not allowed' }, { Allow: (allowed.includes('GET') ? [...allowed, 'HEAD'] : allowed).join(', ') });
      return true;
    }
    const deps = this.deps();
    if (!deps) {
      json(res, 503, { status: 'starting' });
      return true;
    }
    // Every answer starts from what other writers (the operator, other nodes) recorded meanwhile;
    // where they cannot be read now (a cluster's database restarting), nothing is decided.
    // What failed stays with the server (a database's address, its error text): anyone may ask here.
    const unavailable = (): void => {
      const message = "The server's accounts cannot be read or written right now; try again in a moment.";
      if (PAGE_ROUTES.has(route)) page(res, 503, { title: 'Try again shortly', result: 'refused', message });
      else json(res, 503, { status: 'unavailable', message });
    };
    Promise.resolve()
      .then(() => deps.accounts.refresh())
      .then(() => run.call(this, deps, req, res, url), () => unavailable())
      .catch((err: unknown) => {
        if (res.headersSent) res.destroy();
        else if (err instanceof BodyTooLarge) tooLarge(res, PAGE_ROUTES.has(route), () => req.destroy());
        // Past the first read, a failure is the accounts' store failing midway (a database
        // restarting): nothing was decided, and the same link works again later.
        else unavailable();
      });
    return true;
  }

  metrics(): string {
    const deps = this.deps();
    const lines: string[] = [];
    if (deps) {
      const counts = deps.accounts.counts();
      lines.push('# HELP hypergolix_accounts Accounts known to the server, by status.', '# TYPE hypergolix_accounts gauge');
      for (const s of ACCOUNT_STATUSES) lines.push(`hypergolix_accounts{status="${s}"} ${counts[s]}`);
      // Challenges keep no state until used, so those outstanding cannot be counted: a flood of
      // them shows as the rate of the issued counter.
      lines.push('# HELP hypergolix_registration_challenges_issued_total Registration challenges this node issued since it started.', '# TYPE hypergolix_registration_challenges_issued_total counter');
      lines.push(`hypergolix_registration_challenges_issued_total ${deps.challenges.issued}`);
      lines.push('# HELP hypergolix_registration_challenges_spent Registration challenges used, remembered until they expire so that a link works once.', '# TYPE hypergolix_registration_challenges_spent gauge');
      lines.push(`hypergolix_registration_challenges_spent ${deps.challenges.spent}`);
      lines.push('# HELP hypergolix_unregistered_upload_bytes What an unregistered identity may store, in bytes.', '# TYPE hypergolix_unregistered_upload_bytes gauge');
      lines.push(`hypergolix_unregistered_upload_bytes ${deps.freeBytes}`);
    }
    lines.push('# HELP hypergolix_registration_refusals_total Registration and webhook requests refused, by reason.', '# TYPE hypergolix_registration_refusals_total counter');
    for (const [reason, n] of this.refusals) lines.push(`hypergolix_registration_refusals_total{reason="${reason}"} ${n}`);
    return lines.join('\n') + '\n';
  }

  refusalsOf(reason: RefusalReason): number {
    return this.refusals.get(reason) ?? 0;
  }

  private refuse(reason: RefusalReason): void {
    this.refusals.set(reason, (this.refusals.get(reason) ?? 0) + 1);
  }

  // ---------------------------------------------------------------- routes

  async challenge(d: RegistrationDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const asked = req.headers[SERVER_NAME_HEADER] ?? req.headers.host;
    const name = serverName(asked);
    if (name === null) {
      return json(res, 400, { status: 'error', message: "Ask for a challenge by this server's name: a Hypergolix-Server or Host header of host or host:port." });
    }
    const names = publicNamesOf(d);
    if (names && !nameMatches(name, names)) {
      this.refuse('server_name');
      return json(res, 421, { status: 'misdirected', message: `This server answers as ${names.join(', ')}, not as ${name}: add it as a remote under one of those names and register again.` });
    }
    json(res, 200, { ...(await d.challenges.issue(name)), policy: d.policy });
  }

  async status(d: RegistrationDeps, _req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const fp = Ghid.tryText(url.searchParams.get('fingerprint'));
    if (!fp) return json(res, 400, { status: 'error', message: 'fingerprint: not a GHID' });
    const status = d.accounts.get(fp.text)?.status ?? 'unregistered';
    json(res, 200, { policy: d.policy, status, usedBytes: await d.usedBytes(fp), freeBytes: d.freeBytes });
  }

  /**
   * A link that is refused, stale, or needs no invite code is answered here (true); a link that
   * is good and waits for an invite code is left to the caller (false).
   */
  private async answeredWithoutCode(d: RegistrationDeps, link: NonNullable<ReturnType<typeof linkOf>>, res: ServerResponse): Promise<boolean> {
    const refused = await this.checkLink(d, link);
    if (refused) {
      page(res, 403, refused);
      return true;
    }
    const current = d.accounts.get(link.fingerprint)?.status;
    // Decided already: the page only says so, changes nothing and leaves the link unused, so
    // the challenges remembered as spent grow only with what registrations change.
    if (current === 'registered' || current === 'revoked') {
      page(res, current === 'revoked' ? 403 : 200, await this.decide(d, link.fingerprint, current));
      return true;
    }
    if (d.policy === 'invite') return false;
    if (!(await d.challenges.take(link.challenge))) {
      page(res, 403, this.stale());
      return true;
    }
    page(res, 200, await this.givenBackIfFailed(d, link, () => this.decide(d, link.fingerprint, current)));
    return true;
  }

  async pageGet(d: RegistrationDeps, _req: IncomingMessage, res: ServerResponse, url: URL): Promise<void> {
    const link = linkOf(url.searchParams);
    if (!link) return page(res, 400, { title: 'Not a registration link', result: 'refused', message: 'Open this page with "hypergolix config --register", or with Register in the Hypergolix app.' });
    if (await this.answeredWithoutCode(d, link, res)) return;
    page(res, 200, this.codeForm(d, link));
  }

  async pagePost(d: RegistrationDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
    const form = new URLSearchParams(await readBody(req));
    const link = linkOf(form);
    if (!link) return page(res, 400, { title: 'Not a registration link', result: 'refused', message: 'The form is incomplete.' });
    if (await this.answeredWithoutCode(d, link, res)) return;
    const code = (form.get('code') ?? '').trim();
    if (!code) return this.wrongCode(d, res, link);
    // The challenge is spent before the code, so that the two go together: a link that expired
    // meanwhile, or the same form posted twice (here or on another node), spends no use of the
    // code; a code refused gives the challenge back, so the person can correct it.
    if (!(await d.challenges.take(link.challenge))) return page(res, 403, this.stale());
    const used = await this.givenBackIfFailed(d, link, () => d.accounts.useInvite(code, link.fingerprint));
    if (!used) {
      await d.challenges.release(link.challenge);
      return this.wrongCode(d, res, link);
    }
    // The use registered the account (one record: nothing to fail between the two).
    page(res, 200, { title: 'Registered', result: 'ok', message: 'Your account is registered: uploads to this server are no longer limited to the free tier.', fingerprint: link.fingerprint, policy: d.policy });
  }

  /**
   * `work` after the link's challenge was taken; when it fails (the accounts' store failing
   * midway), the challenge is given back if it can be, so the same link works once the store is.
   */
  private async givenBackIfFailed<T>(d: RegistrationDeps, link: Link, work: () => Promise<T>): Promise<T> {
    try {
      return await work();
    } catch (err) {
      await Promise.resolve()
        .then(() => d.challenges.release(link.challenge))
        .catch(() => {});
      throw err;
    }
  }

  private codeForm(d: RegistrationDeps, link: Link, error?: string): PageContent {
    return { title: 'Enter your invite code', result: 'form', message: 'Enter the invite code the operator gave you.', fingerprint: link.fingerprint, policy: d.policy, form: error ? { ...link, error } : link };
  }

  private wrongCode(d: RegistrationDeps, res: ServerResponse, link: Link): void {
    this.refuse('invite');
    page(res, 403, this.codeForm(d, link, 'That code is not valid (unknown, used up or expired).'));
  }

  async webhook(d: RegistrationDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
    if (!d.webhookSecret) return json(res, 404, { status: 'not found' });
    if (!sameSecret(bearerOf(req), d.webhookSecret)) {
      this.refuse('webhook_auth');
      return json(res, 401, { status: 'error', message: 'wrong or missing bearer secret' });
    }
    const text = await readBody(req);
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      return json(res, 400, { status: 'error', message: 'the body must be JSON' });
    }
    const { action, fingerprint } = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
    const fp = Ghid.tryText(fingerprint);
    if (!fp || (action !== 'approve' && action !== 'revoke')) {
      return json(res, 400, { status: 'error', message: 'expected {"action": "approve" | "revoke", "fingerprint": GHID}' });
    }
    if (action === 'approve') await d.accounts.register(fp.text, 'webhook');
    else await d.accounts.revoke(fp.text);
    json(res, 200, { fingerprint: fp.text, status: d.accounts.get(fp.text)?.status ?? null });
  }

  // ---------------------------------------------------------------- checks and outcomes

  /** Null when the link is live, for this server and signed by its fingerprint; otherwise the refusal page. */
  private async checkLink(d: RegistrationDeps, link: Link): Promise<PageContent | null> {
    if (!(await d.challenges.isLive(link.challenge))) return this.stale();
    // Sealed here, so a name this server answered to when it was issued; the names may have changed since.
    const named = readChallenge(link.challenge)?.server ?? '';
    const names = publicNamesOf(d);
    if (names && !nameMatches(named, names)) {
      this.refuse('server_name');
      return { title: 'Refused', result: 'refused', message: `This link was made for ${named}, which is not a name of this server (${names.join(', ')}). Nothing was registered.`, fingerprint: link.fingerprint };
    }
    const gidc = await d.identityOf(Ghid.fromText(link.fingerprint));
    if (!gidc) {
      this.refuse('unknown_identity');
      return { title: 'Unknown account', result: 'refused', message: 'This server has not seen this account yet: start Hypergolix with this server as a remote, then register again.', fingerprint: link.fingerprint };
    }
    if (!(await verifyChallenge(gidc, link.fingerprint, link.challenge, link.signature))) {
      this.refuse('signature');
      if (await signedByOlderVersion(gidc, link.fingerprint, link.challenge, link.signature)) {
        return { title: 'Update Hypergolix', result: 'refused', message: 'This link was made by an older version of Hypergolix, whose links do not name the server they are for. Update Hypergolix and register again. Nothing was registered.', fingerprint: link.fingerprint };
      }
      return { title: 'Refused', result: 'refused', message: 'This link was not signed by the account it names. Nothing was registered.', fingerprint: link.fingerprint };
    }
    return null;
  }

  private stale(): PageContent {
    this.refuse('challenge');
    return { title: 'Link expired or already used', result: 'refused', message: 'Registration links work once and for a few minutes. Run "hypergolix config --register" again for a new one.' };
  }

  /** Open and approval (and an account already decided): the outcome for a checked link. */
  private async decide(d: RegistrationDeps, fp: string, current: string | undefined): Promise<PageContent> {
    const base = { fingerprint: fp, policy: d.policy };
    if (current === 'registered') return { ...base, title: 'Already registered', result: 'ok', message: 'This account is registered here already.' };
    if (current === 'revoked') {
      this.refuse('revoked');
      return { ...base, title: 'Registration revoked', result: 'refused', message: "The operator revoked this account's registration; ask them to approve it again." };
    }
    if (d.policy === 'open') {
      await d.accounts.register(fp, 'open');
      return { ...base, title: 'Registered', result: 'ok', message: 'Your account is registered: uploads to this server are no longer limited to the free tier.' };
    }
    await d.accounts.request(fp);
    return { ...base, title: 'Waiting for approval', result: 'waiting', message: 'Your request is recorded. The operator approves registrations; until then uploads stay within the free tier.' };
  }
}

/** The routes a person's browser opens: their refusals are pages, the others' JSON. */
const PAGE_ROUTES = new Set(['GET /register', 'POST /register']);

type Route = (this: RegistrationEndpoints, d: RegistrationDeps, req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void>;

const ROUTES: Record<string, Route> = {
  'GET /register/challenge': RegistrationEndpoints.prototype.challenge,
  'GET /register/status': RegistrationEndpoints.prototype.status,
  'GET /register': RegistrationEndpoints.prototype.pageGet,
  'POST /register': RegistrationEndpoints.prototype.pagePost,
  'POST /accounts/webhook': RegistrationEndpoints.prototype.webhook,
};

interface Link {
  fingerprint: string;
  challenge: string;
  signature: string;
}

/** `publicNames` as challenges carry names, or null when none are set; an entry that is not a name matches nothing. */
function publicNamesOf(d: RegistrationDeps): string[] | null {
  return d.publicNames?.length ? d.publicNames.flatMap((n) => serverName(n) ?? []) : null;
}

function linkOf(p: URLSearchParams): Link | null {
  const fp = Ghid.tryText(p.get('fingerprint'));
  const challenge = p.get('challenge');
  const signature = p.get('signature');
  if (!fp || !challenge || !signature) return null;
  return { fingerprint: fp.text, challenge, signature };
}

function bearerOf(req: IncomingMessage): string {
  const h = req.headers.authorization ?? '';
  return h.startsWith('Bearer ') ? h.slice(7).trim() : '';
}

/** Compared as hashes, so neither the length nor the content leaks through timing. */
function sameSecret(given: string, secret: string): boolean {
  const h = (s: string) => createHash('sha256').update(s, 'utf8').digest();
  return given.length > 0 && timingSafeEqual(h(given), h(secret));
}

/** A request body past MAX_BODY_BYTES: the client is answered 413, not cut off. */
class BodyTooLarge extends Error {
  constructor() {
    super(`The request body is over ${MAX_BODY_BYTES} bytes.`);
    this.name = 'BodyTooLarge';
  }
}

/**
 * The request body as text. Past MAX_BODY_BYTES it rejects with BodyTooLarge and drops what
 * else arrives, so that the 413 can still be written; the connection is closed once it is.
 */
function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      if (size > MAX_BODY_BYTES) return;
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        chunks.length = 0;
        reject(new BodyTooLarge());
        return;
      }
      chunks.push(c);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** 413, as a page for a person's browser or as JSON; then the connection closes, whatever is still being sent. */
function tooLarge(res: ServerResponse, asPage: boolean, close: () => void): void {
  res.setHeader('Connection', 'close');
  res.on('finish', close);
  const message = `The request is over ${MAX_BODY_BYTES} bytes; a registration form or webhook call is much smaller.`;
  if (asPage) page(res, 413, { title: 'Request too large', result: 'refused', message });
  else json(res, 413, { status: 'error', message });
}

function page(res: ServerResponse, status: number, content: PageContent): void {
  const body = renderPage(content);
  res.writeHead(status, {
    'Content-Type': 'text/html; charset=utf-8',
    'Content-Length': Buffer.byteLength(body),
    'Content-Security-Policy': PAGE_CSP,
    'X-Content-Type-Options': 'nosniff',
    'Referrer-Policy': 'no-referrer',
    'Cache-Control': 'no-store',
  });
  res.end(body);
}

function json(res: ServerResponse, status: number, value: unknown, headers: Record<string, string> = {}): void {
  const body = JSON.stringify(value);
  res.writeHead(status, { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store', ...headers });
  res.end(body);
}

