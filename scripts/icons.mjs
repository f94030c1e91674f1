#!/usr/bin/env node
// `npm run icons`: every icon Hypergolix ships, drawn from ONE source image,
// assets/source/hypergolix.svg, in pure Node (no image library, no native tool):
//
//   assets/icons/png/<N>x<N>.png     Linux (hicolor sizes 16…512; the window and notification icon)
//   assets/icons/icon.icns           macOS (16…1024, PNG entries, on Apple's icon grid)
//   assets/icons/icon.ico            Windows (16…256; BMP entries below 256, PNG at 256)
//   assets/tray/tray-<state>-<light|dark>.png, @2x   tray icons per state (src/main/tray-model.ts):
//                                    a dark glyph for light panels, a light glyph for dark ones
//   assets/tray/tray-<state>Template.png, @2x       macOS menu bar template images (black + alpha)
//   assets/tray/tray-<state>-<light|dark>-24.png, @2x  the same for Linux panels (24 and 48 px)
//
// The SVG is read as a small subset: circle, rect, line and path (M L H V Z, absolute or
// relative) with fill, stroke, stroke-width and stroke-linecap in solid #rrggbb colours; any
// other element or a transform is an error, so the source cannot silently draw something else.
// Shapes are rasterized with supersampling. For the one-colour glyph (tray, template) dark paint
// is ink and light paint cuts out whatever lies below it (the white H cut out of the disc).
//
// Usage: node scripts/icons.mjs            write the icons
//        node scripts/icons.mjs --check    exit 1 if the committed icons differ from the source
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { deflateSync, inflateSync } from 'node:zlib';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
export const SOURCE = 'assets/source/hypergolix.svg';

export const TRAY_STATES = ['no-account', 'locked', 'starting', 'running', 'offline', 'error'];
export const LINUX_SIZES = [16, 24, 32, 48, 64, 128, 256, 512];
export const ICO_SIZES = [16, 24, 32, 48, 64, 128, 256];
/** The Linux tray glyph (= LINUX_TRAY_SIZE in src/main/tray-model.ts). */
export const LINUX_TRAY_SIZE = 24;
/** icns entry types and their pixel sizes (PNG data in each). */
export const ICNS_TYPES = [
  ['icp4', 16],
  ['icp5', 32],
  ['ic11', 32],
  ['icp6', 64],
  ['ic12', 64],
  ['ic07', 128],
  ['ic08', 256],
  ['ic13', 256],
  ['ic09', 512],
  ['ic14', 512],
  ['ic10', 1024],
];
/** Apple's grid keeps the artwork to ~80% of the canvas; the source disc fills 87.5%. */
const MAC_SCALE = 0.92;
/** The tray glyph is drawn a little larger: at 16 px every pixel counts. */
const TRAY_SCALE = 1.1;

// ───────────────────────────── the SVG subset ─────────────────────────────

const num = (s, what) => {
  const n = Number(s);
  if (s === undefined || s === '' || !Number.isFinite(n)) throw new Error(`icons: ${what} must be a number, not ${JSON.stringify(s)}`);
  return n;
};

function attrs(text) {
  const out = {};
  for (const m of text.matchAll(/([a-zA-Z][\w:.-]*)\s*=\s*("([^"]*)"|'([^']*)')/g)) out[m[1]] = m[3] ?? m[4];
  return out;
}

function colour(value, what) {
  if (value === undefined || value === 'none') return null;
  const m = /^#([0-9a-f]{6}|[0-9a-f]{3})$/i.exec(value.trim());
  if (!m) throw new Error(`icons: ${what} must be none or a #rrggbb colour, not ${JSON.stringify(value)}`);
  const h = m[1].length === 3 ? [...m[1]].map((c) => c + c).join('') : m[1];
  return [0, 2, 4].map((i) => parseInt(h.slice(i, i + 2), 16));
}

/** Path data (M L H V Z, absolute or relative) as subpaths of points. */
export function pathPoints(d) {
  const tokens = d.match(/[a-zA-Z]|-?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?/g) ?? [];
  const subpaths = [];
  let cur = null;
  let x = 0;
  let y = 0;
  let cmd = null;
  let i = 0;
  const next = () => num(tokens[i++], `path data "${d}"`);
  while (i < tokens.length) {
    if (/[a-zA-Z]/.test(tokens[i])) cmd = tokens[i++];
    if (!cmd) throw new Error(`icons: path data must start with a command: "${d}"`);
    const rel = cmd === cmd.toLowerCase();
    switch (cmd.toUpperCase()) {
      case 'M':
        x = next() + (rel ? x : 0);
        y = next() + (rel ? y : 0);
        cur = { points: [[x, y]], closed: false };
        subpaths.push(cur);
        cmd = rel ? 'l' : 'L'; // further pairs are line-tos
        break;
      case 'L':
        x = next() + (rel ? x : 0);
        y = next() + (rel ? y : 0);
        cur?.points.push([x, y]);
        break;
      case 'H':
        x = next() + (rel ? x : 0);
        cur?.points.push([x, y]);
        break;
      case 'V':
        y = next() + (rel ? y : 0);
        cur?.points.push([x, y]);
        break;
      case 'Z':
        if (cur) {
          cur.closed = true;
          [x, y] = cur.points[0];
        }
        cmd = null;
        break;
      default:
        throw new Error(`icons: path command ${cmd} is not supported (only M L H V Z)`);
    }
    if (!cur) throw new Error(`icons: path data must start with M: "${d}"`);
  }
  return subpaths;
}

function segmentDistance(px, py, [ax, ay], [bx, by]) {
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : ((px - ax) * dx + (py - ay) * dy) / len2;
  return { t, len: Math.sqrt(len2), dist: Math.hypot(px - (ax + Math.max(0, Math.min(1, t)) * dx), py - (ay + Math.max(0, Math.min(1, t)) * dy)), perp: Math.abs((px - ax) * dy - (py - ay) * dx) / (Math.sqrt(len2) || 1) };
}

/** A stroke along segments: round caps (and joins) by distance, butt and square by projection. */
function strokeTest(segments, width, cap) {
  const half = width / 2;
  return (x, y) =>
    segments.some(([a, b]) => {
      const s = segmentDistance(x, y, a, b);
      if (cap === 'round') return s.dist <= half;
      const ext = cap === 'square' ? half / (s.len || 1) : 0;
      return s.t >= -ext && s.t <= 1 + ext && s.perp <= half;
    });
}

function polygonTest(subpaths) {
  // Even-odd fill of every subpath, each closed.
  return (x, y) => {
    let inside = false;
    for (const { points } of subpaths) {
      for (let i = 0, j = points.length - 1; i < points.length; j = i++) {
        const [xi, yi] = points[i];
        const [xj, yj] = points[j];
        if (yi > y !== yj > y && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
      }
    }
    return inside;
  };
}

/** Signed distance to a rounded rectangle (negative inside). */
function roundedRectDistance(x, y, r) {
  const qx = Math.abs(x - (r.x + r.w / 2)) - (r.w / 2 - r.rx);
  const qy = Math.abs(y - (r.y + r.h / 2)) - (r.h / 2 - r.rx);
  return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0) - r.rx;
}

/**
 * Parses the subset. Returns the viewBox and the paint layers in drawing order (an element's
 * fill, then its stroke), each with a colour, a point test in viewBox units and a bounding box.
 */
export function parseSvg(text) {
  const src = text.replace(/<!--[\s\S]*?-->/g, '').replace(/<\?xml[\s\S]*?\?>/, '');
  const root = /<svg\b([^>]*)>/.exec(src);
  if (!root) throw new Error('icons: the source is not an SVG (no <svg> element)');
  const vb = (attrs(root[1]).viewBox ?? '').trim().split(/[\s,]+/).map((s) => num(s, 'viewBox'));
  if (vb.length !== 4 || vb[2] <= 0 || vb[2] !== vb[3]) throw new Error('icons: the SVG needs a square viewBox ("0 0 1024 1024")');
  const layers = [];
  const body = src.slice(root.index + root[0].length).replace(/<title>[\s\S]*?<\/title>|<desc>[\s\S]*?<\/desc>/g, '');
  for (const m of body.matchAll(/<\s*([a-zA-Z][\w:-]*)\b([^>]*?)\/?>/g)) {
    const tag = m[1];
    const a = attrs(m[2]);
    if (a.transform !== undefined || a.style !== undefined || a.class !== undefined) throw new Error(`icons: <${tag}> uses transform, style or class, which the icon script does not read`);
    if (tag === 'g') {
      if (Object.keys(a).some((k) => k !== 'id')) throw new Error('icons: <g> may only carry an id');
      continue;
    }
    const fill = colour(a.fill ?? (tag === 'line' ? 'none' : '#000000'), `<${tag}> fill`);
    const stroke = colour(a.stroke, `<${tag}> stroke`);
    const width = a['stroke-width'] === undefined ? 1 : num(a['stroke-width'], 'stroke-width');
    const cap = a['stroke-linecap'] ?? 'butt';
    if (!['butt', 'round', 'square'].includes(cap)) throw new Error(`icons: stroke-linecap ${cap} is not supported`);
    const pad = stroke ? width / 2 + (cap === 'square' ? width / 2 : 0) : 0;
    const add = (color, test, box) => layers.push({ tag, color, test, box: [box[0] - pad, box[1] - pad, box[2] + pad, box[3] + pad] });
    switch (tag) {
      case 'circle': {
        const [cx, cy, r] = ['cx', 'cy', 'r'].map((k) => num(a[k], `circle ${k}`));
        const box = [cx - r, cy - r, cx + r, cy + r];
        if (fill) add(fill, (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r, box);
        if (stroke) add(stroke, (x, y) => Math.abs(Math.hypot(x - cx, y - cy) - r) <= width / 2, box);
        break;
      }
      case 'rect': {
        const r = { x: num(a.x ?? '0', 'rect x'), y: num(a.y ?? '0', 'rect y'), w: num(a.width, 'rect width'), h: num(a.height, 'rect height') };
        r.rx = Math.min(num(a.rx ?? a.ry ?? '0', 'rect rx'), r.w / 2, r.h / 2);
        const box = [r.x, r.y, r.x + r.w, r.y + r.h];
        if (fill) add(fill, (x, y) => roundedRectDistance(x, y, r) <= 0, box);
        if (stroke) add(stroke, (x, y) => Math.abs(roundedRectDistance(x, y, r)) <= width / 2, box);
        break;
      }
      case 'line': {
        const p = [[num(a.x1 ?? '0', 'x1'), num(a.y1 ?? '0', 'y1')], [num(a.x2 ?? '0', 'x2'), num(a.y2 ?? '0', 'y2')]];
        if (stroke) add(stroke, strokeTest([p], width, cap), [Math.min(p[0][0], p[1][0]), Math.min(p[0][1], p[1][1]), Math.max(p[0][0], p[1][0]), Math.max(p[0][1], p[1][1])]);
        break;
      }
      case 'path': {
        const subpaths = pathPoints(a.d ?? '');
        const all = subpaths.flatMap((s) => s.points);
        if (all.length === 0) throw new Error('icons: a path without points');
        const box = [Math.min(...all.map((p) => p[0])), Math.min(...all.map((p) => p[1])), Math.max(...all.map((p) => p[0])), Math.max(...all.map((p) => p[1]))];
        if (fill) add(fill, polygonTest(subpaths), box);
        if (stroke) {
          const segments = subpaths.flatMap(({ points, closed }) => {
            const segs = points.slice(1).map((p, k) => [points[k], p]);
            if (closed && points.length > 2) segs.push([points[points.length - 1], points[0]]);
            return points.length === 1 ? [[points[0], points[0]]] : segs;
          });
          add(stroke, strokeTest(segments, width, cap), box);
        }
        break;
      }
      default:
        throw new Error(`icons: <${tag}> is not supported (circle, rect, line, path, g)`);
    }
  }
  if (layers.length === 0) throw new Error('icons: the SVG draws nothing');
  return { viewBox: vb, layers };
}

/** The top-most layer at unit coordinates (0..1, y down), the art scaled by `scale` about the centre. */
export function sampler(svg, scale = 1) {
  const [vx, vy, vw] = svg.viewBox;
  const layers = [...svg.layers].reverse();
  return (u, v) => {
    const x = vx + ((u - 0.5) / scale + 0.5) * vw;
    const y = vy + ((v - 0.5) / scale + 0.5) * vw;
    for (const l of layers) {
      if (x < l.box[0] || x > l.box[2] || y < l.box[1] || y > l.box[3]) continue;
      if (l.test(x, y)) return l;
    }
    return null;
  };
}

const luminance = ([r, g, b]) => (0.2126 * r + 0.7152 * g + 0.0722 * b) / 255;
export const isInk = (layer) => layer !== null && luminance(layer.color) < 0.5;

/** RGBA pixels of a size×size image; `paint(u, v)` gives [r, g, b, a] (0..255) at a point. */
export function rasterize(size, paint, ss = size <= 64 ? 8 : size <= 512 ? 4 : 3) {
  const out = Buffer.alloc(size * size * 4);
  for (let py = 0; py < size; py++) {
    for (let px = 0; px < size; px++) {
      let r = 0, g = 0, b = 0, a = 0;
      for (let sy = 0; sy < ss; sy++) {
        for (let sx = 0; sx < ss; sx++) {
          const c = paint((px + (sx + 0.5) / ss) / size, (py + (sy + 0.5) / ss) / size);
          if (!c || c[3] === 0) continue;
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
      out[i + 3] = Math.round(a / (ss * ss));
    }
  }
  return out;
}

/** The app icon in colour. */
export function appIcon(svg, size, scale = 1) {
  const at = sampler(svg, scale);
  return rasterize(size, (u, v) => {
    const l = at(u, v);
    return l ? [...l.color, 255] : null;
  });
}

// ───────────────────────────── tray icons ─────────────────────────────

const VARIANTS = { light: [0x1f, 0x23, 0x28], dark: [0xf0, 0xf3, 0xf6], Template: [0, 0, 0] };
const BADGE = {
  'no-account': [0x3b, 0x82, 0xf6],
  starting: [0xd2, 0x99, 0x22],
  running: [0x2e, 0xa0, 0x43],
  offline: [0x8b, 0x94, 0x9e],
  error: [0xda, 0x36, 0x33],
};
const WHITE = [0xff, 0xff, 0xff];
const disc = (cx, cy, r) => (x, y) => (x - cx) ** 2 + (y - cy) ** 2 <= r * r;
const ring = (cx, cy, r, w) => (x, y) => Math.abs(Math.hypot(x - cx, y - cy) - r) <= w / 2;
const box = (x0, y0, x1, y1) => (x, y) => x >= x0 && x <= x1 && y >= y0 && y <= y1;
const union = (...fs) => (x, y) => fs.some((f) => f(x, y));
const BX = 0.76;
const BY = 0.76;
const cutout = disc(BX, BY, 0.3);
const badgeDisc = disc(BX, BY, 0.22);
const hollow = ring(BX, BY, 0.17, 0.09);
const plus = union(box(BX - 0.13, BY - 0.035, BX + 0.13, BY + 0.035), box(BX - 0.035, BY - 0.13, BX + 0.035, BY + 0.13));
const bang = union(box(BX - 0.03, BY - 0.14, BX + 0.03, BY + 0.03), disc(BX, BY + 0.1, 0.035));
const dots = (r, gap) => union(disc(BX - gap, BY, r), disc(BX, BY, r), disc(BX + gap, BY, r));
const padlock = union(box(0.6, 0.74, 0.94, 0.99), (x, y) => y <= 0.75 && ring(0.77, 0.73, 0.105, 0.07)(x, y));

/**
 * One tray icon: the source's glyph in the panel's ink with a badge per state. Colour variants
 * tell the states by colour and shape; the macOS template (black only) by shape alone.
 */
export function trayIcon(svg, size, state, variant) {
  const at = sampler(svg, TRAY_SCALE);
  const fg = VARIANTS[variant];
  const template = variant === 'Template';
  return rasterize(size, (x, y) => {
    // The template's "running" is the bare mark; every other icon cuts a corner for its badge.
    const plain = template && state === 'running';
    let px = isInk(at(x, y)) && (plain || !cutout(x, y)) ? [...fg, state === 'locked' ? 150 : 255] : null;
    if (plain) return px;
    switch (state) {
      case 'running':
        if (badgeDisc(x, y)) px = [...BADGE.running, 255];
        break;
      case 'locked':
        if (padlock(x, y)) px = [...fg, 255];
        break;
      case 'offline':
        if (hollow(x, y)) px = template ? [...fg, 255] : [...BADGE.offline, 255];
        break;
      case 'no-account':
        if (template) {
          if (plus(x, y)) px = [...fg, 255];
        } else if (badgeDisc(x, y)) px = plus(x, y) ? [...WHITE, 255] : [...BADGE['no-account'], 255];
        break;
      case 'starting':
        if (template) {
          if (dots(0.055, 0.15)(x, y)) px = [...fg, 255];
        } else if (badgeDisc(x, y)) px = dots(0.04, 0.11)(x, y) ? [...WHITE, 255] : [...BADGE.starting, 255];
        break;
      case 'error':
        if (badgeDisc(x, y)) px = bang(x, y) ? (template ? null : [...WHITE, 255]) : template ? [...fg, 255] : [...BADGE.error, 255];
        break;
    }
    return px;
  });
}

// ───────────────────────────── file formats ─────────────────────────────

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
const PNG_SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

export function encodePng(size, rgba) {
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(size, 0);
  ihdr.writeUInt32BE(size, 4);
  ihdr[8] = 8; // bit depth
  ihdr[9] = 6; // RGBA
  const rows = Buffer.alloc(size * (size * 4 + 1));
  for (let y = 0; y < size; y++) rgba.copy(rows, y * (size * 4 + 1) + 1, y * size * 4, (y + 1) * size * 4);
  return Buffer.concat([PNG_SIGNATURE, chunk('IHDR', ihdr), chunk('IDAT', deflateSync(rows, { level: 9 })), chunk('IEND', Buffer.alloc(0))]);
}

/** Decodes an 8-bit RGBA PNG without filters (what encodePng writes): { size, rgba }. */
export function decodePng(buf) {
  if (!buf.subarray(0, 8).equals(PNG_SIGNATURE)) throw new Error('not a PNG');
  let off = 8;
  let size = 0;
  const idat = [];
  while (off < buf.length) {
    const len = buf.readUInt32BE(off);
    const type = buf.toString('latin1', off + 4, off + 8);
    const data = buf.subarray(off + 8, off + 8 + len);
    if (type === 'IHDR') {
      size = data.readUInt32BE(0);
      if (data.readUInt32BE(4) !== size || data[8] !== 8 || data[9] !== 6) throw new Error('only square 8-bit RGBA PNGs are read');
    } else if (type === 'IDAT') idat.push(data);
    off += 12 + len;
  }
  const rows = inflateSync(Buffer.concat(idat));
  const rgba = Buffer.alloc(size * size * 4);
  for (let y = 0; y < size; y++) {
    if (rows[y * (size * 4 + 1)] !== 0) throw new Error('only unfiltered PNG rows are read');
    rows.copy(rgba, y * size * 4, y * (size * 4 + 1) + 1, (y + 1) * (size * 4 + 1));
  }
  return { size, rgba };
}

/** A 32-bit BMP (DIB) icon entry: BGRA rows bottom-up, then the 1-bit AND mask. */
function bmpEntry(size, rgba) {
  const header = Buffer.alloc(40);
  const maskRow = Math.ceil(size / 32) * 4;
  header.writeUInt32LE(40, 0);
  header.writeInt32LE(size, 4);
  header.writeInt32LE(size * 2, 8); // XOR image + AND mask
  header.writeUInt16LE(1, 12);
  header.writeUInt16LE(32, 14);
  header.writeUInt32LE(size * size * 4 + maskRow * size, 20);
  const pixels = Buffer.alloc(size * size * 4);
  const mask = Buffer.alloc(maskRow * size);
  for (let y = 0; y < size; y++) {
    const row = size - 1 - y;
    for (let x = 0; x < size; x++) {
      const s = (y * size + x) * 4;
      const d = (row * size + x) * 4;
      pixels[d] = rgba[s + 2];
      pixels[d + 1] = rgba[s + 1];
      pixels[d + 2] = rgba[s];
      pixels[d + 3] = rgba[s + 3];
      if (rgba[s + 3] === 0) mask[row * maskRow + (x >> 3)] |= 0x80 >> (x & 7);
    }
  }
  return Buffer.concat([header, pixels, mask]);
}

export function encodeIco(images) {
  const dir = Buffer.alloc(6 + 16 * images.length);
  dir.writeUInt16LE(0, 0);
  dir.writeUInt16LE(1, 2); // icon
  dir.writeUInt16LE(images.length, 4);
  let offset = dir.length;
  const bodies = images.map(({ size, rgba }, i) => {
    const body = size >= 256 ? encodePng(size, rgba) : bmpEntry(size, rgba);
    const e = 6 + 16 * i;
    dir[e] = size >= 256 ? 0 : size;
    dir[e + 1] = size >= 256 ? 0 : size;
    dir.writeUInt16LE(1, e + 4); // planes
    dir.writeUInt16LE(32, e + 6); // bits per pixel
    dir.writeUInt32LE(body.length, e + 8);
    dir.writeUInt32LE(offset, e + 12);
    offset += body.length;
    return body;
  });
  return Buffer.concat([dir, ...bodies]);
}

/** The images of an .ico: [{ size, kind: 'png' | 'bmp', rgba }]. */
export function decodeIco(buf) {
  if (buf.readUInt16LE(0) !== 0 || buf.readUInt16LE(2) !== 1) throw new Error('not an .ico');
  const out = [];
  for (let i = 0; i < buf.readUInt16LE(4); i++) {
    const e = 6 + 16 * i;
    const size = buf[e] || 256;
    const data = buf.subarray(buf.readUInt32LE(e + 12), buf.readUInt32LE(e + 12) + buf.readUInt32LE(e + 8));
    if (data.subarray(0, 8).equals(PNG_SIGNATURE)) out.push({ size, kind: 'png', rgba: decodePng(data).rgba });
    else {
      const rgba = Buffer.alloc(size * size * 4);
      for (let y = 0; y < size; y++) {
        for (let x = 0; x < size; x++) {
          const s = 40 + ((size - 1 - y) * size + x) * 4;
          const d = (y * size + x) * 4;
          rgba[d] = data[s + 2];
          rgba[d + 1] = data[s + 1];
          rgba[d + 2] = data[s];
          rgba[d + 3] = data[s + 3];
        }
      }
      out.push({ size, kind: 'bmp', rgba, bitCount: buf.readUInt16LE(e + 6), headerHeight: data.readInt32LE(8) });
    }
  }
  return out;
}

export function encodeIcns(entries) {
  const parts = entries.map(({ type, png }) => {
    const h = Buffer.alloc(8);
    h.write(type, 0, 'latin1');
    h.writeUInt32BE(png.length + 8, 4);
    return Buffer.concat([h, png]);
  });
  const total = 8 + parts.reduce((n, p) => n + p.length, 0);
  const h = Buffer.alloc(8);
  h.write('icns', 0, 'latin1');
  h.writeUInt32BE(total, 4);
  return Buffer.concat([h, ...parts]);
}

/** The entries of an .icns: [{ type, png }]. */
export function decodeIcns(buf) {
  if (buf.toString('latin1', 0, 4) !== 'icns' || buf.readUInt32BE(4) !== buf.length) throw new Error('not an .icns');
  const out = [];
  for (let off = 8; off < buf.length; ) {
    const len = buf.readUInt32BE(off + 4);
    out.push({ type: buf.toString('latin1', off, off + 4), png: buf.subarray(off + 8, off + len) });
    off += len;
  }
  return out;
}

// ───────────────────────────── everything ─────────────────────────────

/** Every icon file, relative to the project root → its bytes. */
export function generateIcons(svgText) {
  const svg = parseSvg(svgText);
  const files = new Map();
  const cache = new Map();
  const art = (size, scale) => {
    const key = `${size}@${scale}`;
    if (!cache.has(key)) cache.set(key, appIcon(svg, size, scale));
    return cache.get(key);
  };
  for (const size of LINUX_SIZES) files.set(`assets/icons/png/${size}x${size}.png`, encodePng(size, art(size, 1)));
  files.set('assets/icons/icon.ico', encodeIco(ICO_SIZES.map((size) => ({ size, rgba: art(size, 1) }))));
  files.set('assets/icons/icon.icns', encodeIcns(ICNS_TYPES.map(([type, size]) => ({ type, png: encodePng(size, art(size, MAC_SCALE)) }))));
  for (const state of TRAY_STATES) {
    for (const variant of ['light', 'dark', 'Template']) {
      for (const [size, suffix] of [[16, ''], [32, '@2x']]) {
        const name = variant === 'Template' ? `tray-${state}Template${suffix}.png` : `tray-${state}-${variant}${suffix}.png`;
        files.set(`assets/tray/${name}`, encodePng(size, trayIcon(svg, size, state, variant)));
      }
      // Linux panels are 22–32 px tall: a 16 px glyph would be upscaled and blurred there.
      if (variant === 'Template') continue;
      for (const [size, suffix] of [[LINUX_TRAY_SIZE, ''], [LINUX_TRAY_SIZE * 2, '@2x']]) {
        files.set(`assets/tray/tray-${state}-${variant}-${LINUX_TRAY_SIZE}${suffix}.png`, encodePng(size, trayIcon(svg, size, state, variant)));
      }
    }
  }
  return files;
}

/** The pixels in a generated file, for comparing two files of the same kind. */
export function pixelsOf(path, buf) {
  if (path.endsWith('.png')) return [decodePng(buf).rgba];
  if (path.endsWith('.ico')) return decodeIco(buf).map((e) => e.rgba);
  if (path.endsWith('.icns')) return decodeIcns(buf).map((e) => Buffer.concat([Buffer.from(e.type, 'latin1'), decodePng(e.png).rgba]));
  return [buf];
}

/** Files whose committed pixels differ from what the source makes now (zlib may differ between Node versions; pixels may not). */
export function staleIcons(root, files) {
  const stale = [];
  for (const [path, want] of files) {
    const file = join(root, path);
    if (!existsSync(file)) {
      stale.push(`${path} (missing)`);
      continue;
    }
    const have = readFileSync(file);
    if (have.equals(want)) continue;
    try {
      const a = pixelsOf(path, have);
      const b = pixelsOf(path, want);
      if (a.length !== b.length || a.some((p, i) => !p.equals(b[i]))) stale.push(path);
    } catch {
      stale.push(path);
    }
  }
  return stale;
}

function main() {
  const check = process.argv.includes('--check');
  const t0 = Date.now();
  const files = generateIcons(readFileSync(join(ROOT, SOURCE), 'utf8'));
  if (check) {
    const stale = staleIcons(ROOT, files);
    if (stale.length > 0) {
      console.error(`icons: ${stale.length} icon file(s) do not match ${SOURCE}; run \`npm run icons\`:\n  ${stale.join('\n  ')}`);
      process.exit(1);
    }
    console.log(`icons: all ${files.size} icon files match ${SOURCE}`);
    return;
  }
  for (const [path, bytes] of files) {
    mkdirSync(dirname(join(ROOT, path)), { recursive: true });
    writeFileSync(join(ROOT, path), bytes);
  }
  console.log(`icons: wrote ${files.size} files from ${SOURCE} in ${Date.now() - t0} ms`);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) main();
