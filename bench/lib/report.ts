// Tables for the console and BENCHMARKS.md, and the in-place section writer.
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';

export const BENCHMARKS_MD = resolve(import.meta.dirname, '../../BENCHMARKS.md');

const PREAMBLE = `# Benchmarks

Figures measured by \`npm run bench\` (\`scripts/run-bench.mjs\`, which runs \`bench/<name>.ts\`; name
some to run only those: \`npm run bench -- golix\`). Each benchmark rewrites its own \`## \` section in
place through \`writeSection\` in \`bench/lib/report.ts\` and leaves the other sections alone, so every
section carries its own machine and date.
`;

/**
 * Replaces the section headed `## <title>` in BENCHMARKS.md (from its heading up to the next
 * `## ` heading) with `markdown`, or appends it when there is none; creates the file if needed.
 * The markdown must not contain `## ` headings of its own (use `###`).
 */
export function writeSection(title: string, markdown: string, file = BENCHMARKS_MD): void {
  if (/^## /m.test(markdown)) throw new Error('A section body must not contain "## " headings; use "###".');
  const heading = `## ${title}`;
  const body = `${heading}\n\n${markdown.trim()}\n`;
  const text = existsSync(file) ? readFileSync(file, 'utf8') : PREAMBLE;
  const lines = text.split('\n');
  const start = lines.findIndex((l) => l.trimEnd() === heading);
  let out: string;
  if (start < 0) {
    out = `${text.trimEnd()}\n\n${body}`;
  } else {
    let end = lines.findIndex((l, i) => i > start && l.startsWith('## '));
    if (end < 0) end = lines.length;
    const before = lines.slice(0, start).join('\n').trimEnd();
    const after = lines.slice(end).join('\n').trim();
    out = `${before}\n\n${body}${after ? `\n${after}\n` : ''}`;
  }
  writeFileSync(file, out);
}

export type Row = readonly string[];

export function markdownTable(headers: Row, rows: readonly Row[]): string {
  const esc = (c: string) => c.replace(/\|/g, '\\|');
  return [
    `| ${headers.map(esc).join(' | ')} |`,
    `| ${headers.map((_, i) => (i === 0 ? '---' : '---:')).join(' | ')} |`,
    ...rows.map((r) => `| ${r.map(esc).join(' | ')} |`),
  ].join('\n');
}

/** The same table as aligned plain text for the console. */
export function textTable(headers: Row, rows: readonly Row[]): string {
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (r: Row) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(headers), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

/** Formats a number with a sensible precision: 12 345, 678, 12.3, 1.23. */
export function fmt(n: number, digits?: number): string {
  if (!Number.isFinite(n)) return String(n);
  const d = digits ?? (Math.abs(n) >= 100 ? 0 : Math.abs(n) >= 10 ? 1 : 2);
  return n.toLocaleString('en-US', { minimumFractionDigits: d, maximumFractionDigits: d });
}

export function percent(ratio: number): string {
  return `${(ratio * 100).toFixed(1)} %`;
}
