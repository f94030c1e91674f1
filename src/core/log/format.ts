import { inspect } from 'node:util';
import type { LogLevel } from './levels.js';

const LABELS: Readonly<Record<LogLevel, string>> = {
  error: 'ERROR  ',
  warn: 'WARN   ',
  info: 'INFO   ',
  debug: 'DEBUG  ',
  shouty: 'SHOUTY ',
  extreme: 'EXTREME',
};

/**
 * Control characters (C0, DEL and C1, whose CSI also starts terminal sequences) other than newline are escaped so that untrusted text (peer frames, YAML,
 * IPC input) cannot smuggle terminal escapes into a console. Newlines become an indented
 * continuation, so every record still starts at column 0 with its timestamp and a forged
 * "line" inside a message can't pass for a record of its own.
 */
function sanitize(text: string): string {
  return text
    .replace(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f]/g, (c) => `\\x${c.charCodeAt(0).toString(16).padStart(2, '0')}`)
    .replace(/\n/g, '\n    ');
}

function oneLine(text: string): string {
  return text.replace(/\r?\n/g, '\\n');
}

/** `Name: message`, following the cause chain, on one line. */
function shortError(err: Error): string {
  const parts: string[] = [];
  const seen = new Set<unknown>();
  let cur: unknown = err;
  while (cur instanceof Error && !seen.has(cur) && parts.length < 5) {
    seen.add(cur);
    parts.push(`${cur.name}: ${oneLine(cur.message)}`);
    cur = cur.cause;
  }
  if (cur !== undefined && !(cur instanceof Error) && parts.length < 5) parts.push(oneLine(String(cur)));
  return parts.join('; caused by ');
}

/** The full stack, including causes and the members of an AggregateError (inspect does both). */
function longError(err: Error): string {
  return inspect(err, { depth: 4, breakLength: Infinity });
}

function formatValue(value: unknown, debug: boolean): string {
  if (typeof value === 'string') return value;
  if (value instanceof Error) return debug ? longError(value) : shortError(value);
  return inspect(value, { depth: 4, breakLength: Infinity, maxArrayLength: 50, maxStringLength: 2000 });
}

/** One record: `ISO-time LEVEL scope: message details...`. */
export function formatLine(date: Date, level: LogLevel, scope: string, data: readonly unknown[], debug: boolean): string {
  let text = '';
  for (let i = 0; i < data.length; i++) {
    let part: string;
    try {
      part = formatValue(data[i], debug);
    } catch {
      // A hostile getter or proxy inside a detail must not take the log call down with it.
      part = '[unformattable value]';
    }
    text += i === 0 ? part : ` ${part}`;
  }
  return `${date.toISOString()} ${LABELS[level]} ${scope}: ${sanitize(text)}`;
}
