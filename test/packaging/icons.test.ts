// Icons from one source: the SVG subset, the rasterizer, the file formats (PNG, ICO, ICNS), the
// tray variants, and that the committed icons are what the source makes now.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import {
  ICNS_TYPES,
  ICO_SIZES,
  LINUX_SIZES,
  LINUX_TRAY_SIZE,
  SOURCE,
  TRAY_STATES,
  appIcon,
  decodeIcns,
  decodeIco,
  decodePng,
  encodeIcns,
  encodeIco,
  encodePng,
  generateIcons,
  isInk,
  parseSvg,
  pathPoints,
  rasterize,
  sampler,
  staleIcons,
  trayIcon,
} from '../../scripts/icons.mjs';
import { LINUX_TRAY_GLYPH, TRAY_ICONS } from '../../src/main/tray-model.js';

const ROOT = resolve(import.meta.dirname, '../..');
const SVG = readFileSync(join(ROOT, SOURCE), 'utf8');
const svg = parseSvg(SVG);
const px = (rgba: Buffer, size: number, x: number, y: number) => [...rgba.subarray((y * size + x) * 4, (y * size + x) * 4 + 4)];

test('the committed icons are what assets/source/hypergolix.svg makes (npm run icons)', () => {
  const files = generateIcons(SVG);
  // Per state: light, dark and template at 16 and 32 px, and light and dark at 24 and 48 px for Linux.
  assert.equal(files.size, LINUX_SIZES.length + 2 + TRAY_STATES.length * 3 * 2 + TRAY_STATES.length * 2 * 2);
  assert.equal(LINUX_TRAY_SIZE, LINUX_TRAY_GLYPH, 'the script draws the size the tray asks for');
  for (const f of files.keys()) if (/-24@2x\.png$/.test(f)) assert.equal(decodePng(files.get(f)!).size, 48, f);
  assert.deepEqual(staleIcons(ROOT, files), []);
});

test('the tray states of the script are the tray model states', () => {
  assert.deepEqual([...TRAY_STATES].sort(), [...TRAY_ICONS].sort());
});

test('the source: a disc in the brand colour with a white H, read as two layers', () => {
  assert.deepEqual(svg.viewBox, [0, 0, 1024, 1024]);
  assert.deepEqual(svg.layers.map((l) => [l.tag, l.color]), [
    ['circle', [0x4f, 0x46, 0xe5]],
    ['path', [0xff, 0xff, 0xff]],
  ]);
  const at = sampler(svg);
  assert.equal(at(0.02, 0.02), null, 'a corner is transparent');
  assert.equal(at(320 / 1024, 400 / 1024)!.tag, 'path', 'on the left stem of the H');
  assert.equal(at(0.5, 0.3)!.tag, 'circle', 'between the stems, above the bar');
  assert.equal(isInk(at(0.5, 0.3)), true, 'the disc is ink');
  assert.equal(isInk(at(320 / 1024, 400 / 1024)), false, 'the white H cuts out');
});

test('the SVG subset: shapes, path commands, and refusals', () => {
  assert.deepEqual(pathPoints('M10 10h5v5H10z m1 1 l2 0'), [
    { points: [[10, 10], [15, 10], [15, 15], [10, 15]], closed: true },
    { points: [[11, 11], [13, 11]], closed: false },
  ]);
  const shapes = parseSvg(`<svg viewBox="0 0 10 10"><g id="x"><rect x="0" y="0" width="4" height="4" fill="#000"/>
    <line x1="6" y1="1" x2="9" y2="1" stroke="#ff0000" stroke-width="1"/><path d="M6 6L9 6L9 9Z" fill="#00ff00"/></g></svg>`);
  const at = sampler(shapes);
  assert.deepEqual(at(0.2, 0.2)!.color, [0, 0, 0]);
  assert.deepEqual(at(0.75, 0.1)!.color, [255, 0, 0]);
  assert.deepEqual(at(0.85, 0.7)!.color, [0, 255, 0], 'inside the triangle');
  assert.equal(at(0.65, 0.85), null, 'outside it');
  assert.throws(() => parseSvg('<svg viewBox="0 0 10 10"><ellipse cx="1" cy="1" rx="1" ry="1"/></svg>'), /<ellipse> is not supported/);
  assert.throws(() => parseSvg('<svg viewBox="0 0 10 10"><circle cx="1" cy="1" r="1" transform="scale(2)"/></svg>'), /transform/);
  assert.throws(() => parseSvg('<svg viewBox="0 0 10 10"><circle cx="1" cy="1" r="1" fill="url(#g)"/></svg>'), /#rrggbb/);
  assert.throws(() => parseSvg('<svg viewBox="0 0 10 10"><path d="M1 1C2 2 3 3 4 4"/></svg>'), /path command C is not supported/);
  assert.throws(() => parseSvg('<svg viewBox="0 0 10 20"><circle cx="1" cy="1" r="1"/></svg>'), /square viewBox/);
  assert.throws(() => parseSvg('<svg viewBox="0 0 10 10"></svg>'), /draws nothing/);
  assert.throws(() => parseSvg('<html/>'), /not an SVG/);
});

test('rasterizing: antialiased edges, transparent outside', () => {
  const img = rasterize(4, (u) => (u < 0.5 ? [255, 0, 0, 255] : null), 4);
  assert.deepEqual(px(img, 4, 0, 0), [255, 0, 0, 255]);
  assert.deepEqual(px(img, 4, 3, 0), [0, 0, 0, 0]);
  const half = rasterize(1, (u) => (u < 0.5 ? [0, 0, 255, 255] : null), 4);
  assert.deepEqual([...half], [0, 0, 255, 128], 'half covered: half alpha, colour not darkened');
  const icon = appIcon(svg, 64);
  assert.deepEqual(px(icon, 64, 0, 0), [0, 0, 0, 0]);
  assert.deepEqual(px(icon, 64, 32, 12), [0x4f, 0x46, 0xe5, 255]);
  assert.deepEqual(px(icon, 64, 20, 20), [255, 255, 255, 255], 'the H');
  const mac = appIcon(svg, 64, 0.92);
  assert.equal(px(mac, 64, 32, 3)[3], 0, 'macOS: a margin on the icon grid');
});

test('tray icons: ink for the panel, a badge per state, template images black only', () => {
  const at = (state: string, variant: 'light' | 'dark' | 'Template') => trayIcon(svg, 32, state, variant);
  const light = at('running', 'light');
  const dark = at('running', 'dark');
  // A point of the disc, away from the badge and the H.
  assert.deepEqual(px(light, 32, 16, 4).slice(0, 3), [0x1f, 0x23, 0x28], 'a dark glyph on light panels');
  assert.deepEqual(px(dark, 32, 16, 4).slice(0, 3), [0xf0, 0xf3, 0xf6], 'a light glyph on dark panels');
  assert.deepEqual(px(light, 32, 24, 24), [0x2e, 0xa0, 0x43, 255], 'running: a green badge');
  assert.deepEqual(px(at('error', 'light'), 32, 20, 24).slice(0, 3), [0xda, 0x36, 0x33], 'error: red');
  for (const state of TRAY_STATES) {
    const t = at(state, 'Template');
    for (let i = 0; i < t.length; i += 4) assert.deepEqual([...t.subarray(i, i + 3)], [0, 0, 0], `${state}: template pixels are black (alpha carries the shape)`);
  }
  // Every state looks different from every other, in every variant (not only by colour).
  for (const variant of ['light', 'dark', 'Template'] as const) {
    const images = TRAY_STATES.map((s) => at(s, variant).toString('hex'));
    assert.equal(new Set(images).size, TRAY_STATES.length, variant);
  }
});

test('PNG: 8-bit RGBA, round trip', () => {
  const rgba = Buffer.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16]);
  const png = encodePng(2, rgba);
  assert.equal(png.subarray(1, 4).toString('latin1'), 'PNG');
  assert.equal(png.readUInt32BE(16), 2);
  assert.deepEqual(decodePng(png), { size: 2, rgba });
});

test('ICO: BMP entries below 256 (bottom-up BGRA + mask), PNG at 256; the committed icon has every size', () => {
  const a = rasterize(16, (u, v) => (u < 0.5 ? [255, 0, 0, 255] : v < 0.5 ? [0, 0, 255, 128] : null), 2);
  const b = rasterize(256, () => [0, 255, 0, 255], 1);
  const ico = encodeIco([{ size: 16, rgba: a }, { size: 256, rgba: b }]);
  const back = decodeIco(ico);
  assert.deepEqual(back.map((e) => [e.size, e.kind]), [[16, 'bmp'], [256, 'png']]);
  assert.ok(back[0]!.rgba.equals(a), 'BMP rows and channels in the right order');
  assert.equal(back[0]!.bitCount, 32);
  assert.equal(back[0]!.headerHeight, 32, 'height doubled for the AND mask');
  assert.ok(back[1]!.rgba.equals(b));
  assert.equal(ico[6 + 16], 0, 'width 256 is written as 0');
  const real = decodeIco(readFileSync(join(ROOT, 'assets/icons/icon.ico')));
  assert.deepEqual(real.map((e) => e.size), ICO_SIZES);
});

test('ICNS: typed PNG entries, sizes from 16 to 1024', () => {
  const png = encodePng(1, Buffer.from([0, 0, 0, 255]));
  const icns = encodeIcns([{ type: 'ic07', png }]);
  assert.equal(icns.toString('latin1', 0, 4), 'icns');
  assert.equal(icns.readUInt32BE(4), icns.length);
  assert.deepEqual(decodeIcns(icns).map((e) => e.type), ['ic07']);
  const real = decodeIcns(readFileSync(join(ROOT, 'assets/icons/icon.icns')));
  assert.deepEqual(real.map((e) => e.type), ICNS_TYPES.map(([t]) => t));
  for (const e of real) assert.equal(decodePng(e.png).size, ICNS_TYPES.find(([t]) => t === e.type)![1], e.type);
});

test('Linux PNG set: NxN.png from 16 to 512, each the size its name says', () => {
  for (const s of LINUX_SIZES) {
    const png = readFileSync(join(ROOT, `assets/icons/png/${s}x${s}.png`));
    assert.equal(decodePng(png).size, s);
  }
});
