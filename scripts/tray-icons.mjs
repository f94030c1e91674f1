#!/usr/bin/env node
// Draws the tray icons into assets/tray/: one per state (src/main/tray-model.ts TRAY_ICONS), a
// dark glyph for light panels ("light") and a light glyph for dark panels ("dark"), 16 px and
// 32 px (@2x, which Electron picks on HiDPI screens). Pure Node: shapes are rendered with 4×4
// supersampling and written as RGBA PNGs with zlib. Issue 7 replaces this with the full icon
// set generated from one source image.
//
// Usage: node scripts/tray-icons.mjs [outDir]
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { deflateSync } from 'node:zlib';

const STATES = ['no-account', 'locked', 'starting', 'running', 'offline', 'error'];
const VARIANTS = { light: [0x1f, 0x23, 0x28], dark: [0xf0, 0xf3, 0xf6] };
const BADGE = {
  'no-account': [0x3b, 0x82, 0xf6],
  starting: [0xd2, 0x99, 0x22],
  running: [0x2e, 0xa0, 0x43],
  offline: [0x8b, 0x94, 0x9e],
  error: [0xda, 0x36, 0x33],
};
const WHITE = [0xff, 0xff, 0xff];

// ── shapes in unit coordinates (0..1, y down) ──
const disc = (cx, cy, r) => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const ring = (cx, cy, r, w) => (x, y) => Math.abs(Math.hypot(x - cx, y - cy) - r) <= w / 2;
const rect = (x0, y0, x1, y1) => (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
const union = (...fs) => (x, y) => fs.some((f) => f(x, y));

/** The Hypergolix mark (as the UI's logo): a ring around an H. */
const glyph = union(ring(0.5, 0.5, 0.4, 0.1), rect(0.28, 0.3, 0.38, 0.7), rect(0.62, 0.3, 0.72, 0.7), rect(0.28, 0.455, 0.72, 0.545));
const BX = 0.76;
const BY = 0.76;
const cutout = disc(BX, BY, 0.3);
const badgeDisc = disc(BX, BY, 0.22);
const offlineRing = ring(BX, BY, 0.17, 0.09);
const plus = union(rect(BX - 0.13, BY - 0.035, BX + 0.13, BY + 0.035), rect(BX - 0.035, BY - 0.13, BX + 0.035, BY + 0.13));
const padlock = union(rect(0.6, 0.74, 0.94, 0.99), (x, y) => y <= 0.75 && ring(0.77, 0.73, 0.105, 0.07)(x, y));

/** The colour (RGBA 0..255) of one point of an icon. */
function paint(state, variant, x, y) {
  const fg = VARIANTS[variant];
  let px = [0, 0, 0, 0];
  if (glyph(x, y) && !cutout(x, y)) px = [...fg, state === 'locked' ? 150 : 255];
  if (state === 'locked') {
    if (padlock(x, y)) px = [...fg, 255];
  } else if (state === 'offline') {
    // Hollow: tells "offline" from "running" without relying on colour.
    if (offlineRing(x, y)) px = [...BADGE[state], 255];
  } else if (badgeDisc(x, y)) {
    px = [...BADGE[state], 255];
    if (state === 'no-account' && plus(x, y)) px = [...WHITE, 255];
  }
  return px;
}

function render(size, state, variant) {
  const S = 4;
  const out = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < S; sy++) {
        for (let sx = 0; sx < S; sx++) {
          const c = paint(state, variant, (px + (sx + 0.5) / S) / size, (py + (sy + 0.5) / S) / size);
          r += c[0] * c[3];
          g += c[1] * c[3];
          b += c[2] * c[3];
          a += c[3];
        }
      }
      const i = (py * size + px) * 4;
      out[i] = a ? Math.round(r / a) : 0;
      out[i + 1] = a ? Math.round(g / a) : 0;
      out[i + 2] = a ? Math.round(b / a) : 0;
      out[i + 3] = Math.round(a / (S * S));
    }
  }
  return out;
}

// ── PNG ──
const CRC = new Uint32Array(256).map((_, n) => {
  let c = n;
  for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
  return c >>> 0;
});
function crc32(buf) {
  let c = 0xffffffff;
  for (const byte of buf) c = CRC[(c ^ byte) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}
function chunk(type, data) {
  const len = Buffer.alloc(4);
  len.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([len, body, crc]);
}
function encodePng(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) rgba.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', ihdr),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

const outDir = process.argv[2] ?? new URL('../assets/tray/', import.meta.url).pathname;
mkdirSync(outDir, { recursive: true });
let n = 0;
for (const state of STATES) {
  for (const variant of Object.keys(VARIANTS)) {
    for (const [size, suffix] of [[16, ''], [32, '@2x']]) {
      writeFileSync(join(outDir, `tray-${state}-${variant}${suffix}.png`), encodePng(size, render(size, state, variant)));
      n++;
    }
  }
}
console.log(`tray-icons: wrote ${n} PNGs to ${outDir}`);
