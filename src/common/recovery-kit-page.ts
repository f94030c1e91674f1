/**
 * The recovery kit as a page to print or save as PDF (issue #13): the account's user ID and
 * fingerprint with their QR codes, its remotes, and the recovery key in groups a person can type
 * back. One self-contained HTML file with no script and no outside resource, under a CSP that
 * allows neither, made the same way by the CLI and the desktop app.
 */
import { qrPath } from './qr.js';

export interface RecoveryKitFacts {
  userId: string;
  fingerprint: string;
  /** `host:port` (with `:tls`), as hypergolix.yml and `account login --remote` take them. */
  remotes: string[];
  /** As printed by the account: 9 groups of 4 joined by '-'. */
  key: string;
  made: Date;
}

const escape = (s: string): string => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

function qrSvg(text: string, label: string): string {
  const { d, size } = qrPath(text);
  return `<svg class="qr" viewBox="0 0 ${size} ${size}" role="img" aria-label="${escape(label)}" shape-rendering="crispEdges"><rect width="${size}" height="${size}" fill="#fff"/><path d="${d}" fill="#000"/></svg>`;
}

const STYLE = `body{font:15px/1.45 system-ui,sans-serif;max-width:46rem;margin:2rem auto;color:#111}
h1{font-size:1.5rem}h2{font-size:1.1rem;margin-top:1.6rem}code,.key{font-family:ui-monospace,monospace;word-break:break-all}
.key{font-size:1.35rem;letter-spacing:.08em;border:2px solid #111;padding:.8rem;text-align:center}
.pair{display:flex;gap:1.2rem;align-items:flex-start}.qr{width:8rem;height:8rem;flex:none}
.warn{border-left:4px solid #b45309;padding-left:.8rem}@media print{body{margin:0}}`;

export function recoveryKitPage(k: RecoveryKitFacts): string {
  const remotes = k.remotes.length > 0 ? k.remotes.map((r) => `<li><code>${escape(r)}</code></li>`).join('') : '<li>none: the account lives on this computer only</li>';
  return `<!doctype html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'; img-src data:">
<title>Hypergolix recovery kit</title><style>${STYLE}</style></head>
<body>
<h1>Hypergolix recovery kit</h1>
<p>Made ${escape(k.made.toISOString().slice(0, 16).replace('T', ' '))} UTC. Print this page or save it as a PDF, and keep it
somewhere safe: with the recovery key below, anyone can take over this account.</p>
<h2>Recovery key</h2>
<p class="key">${escape(k.key)}</p>
<p>If you forget your password: on the unlock screen choose "Forgot your password?", or run
<code>hypergolix account recover --recovery-key-stdin</code>, then type this key and a new password.
Making a new recovery kit replaces this key: it then opens nothing.</p>
<h2>User ID</h2>
<div class="pair">${qrSvg(k.userId, 'QR code of the user ID')}<p><code>${escape(k.userId)}</code><br>
To use the account on another computer: "I already have an account" in the app, or
<code>hypergolix account login --user-id ID --remote HOST:PORT</code>.</p></div>
<h2>Fingerprint</h2>
<div class="pair">${qrSvg(k.fingerprint, 'QR code of the fingerprint')}<p><code>${escape(k.fingerprint)}</code><br>
What others add to share with you.</p></div>
<h2>Remotes that hold the account</h2>
<ul>${remotes}</ul>
<p class="warn">The recovery key is shown only once. Hypergolix keeps no copy of it.</p>
</body></html>
`;
}
