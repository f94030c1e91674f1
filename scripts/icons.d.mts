// Types of scripts/icons.mjs for the TypeScript tests.
export interface SvgLayer {
  tag: string;
  color: [number, number, number];
  test(x: number, y: number): boolean;
  box: [number, number, number, number];
}
export interface ParsedSvg {
  viewBox: [number, number, number, number];
  layers: SvgLayer[];
}
export declare const SOURCE: string;
export declare const TRAY_STATES: string[];
export declare const LINUX_SIZES: number[];
export declare const ICO_SIZES: number[];
export declare const LINUX_TRAY_SIZE: number;
export declare const ICNS_TYPES: [string, number][];
export declare function pathPoints(d: string): { points: [number, number][]; closed: boolean }[];
export declare function parseSvg(text: string): ParsedSvg;
export declare function sampler(svg: ParsedSvg, scale?: number): (u: number, v: number) => SvgLayer | null;
export declare function isInk(layer: SvgLayer | null): boolean;
export declare function rasterize(size: number, paint: (u: number, v: number) => number[] | null, ss?: number): Buffer;
export declare function appIcon(svg: ParsedSvg, size: number, scale?: number): Buffer;
export declare function trayIcon(svg: ParsedSvg, size: number, state: string, variant: 'light' | 'dark' | 'Template'): Buffer;
export declare function encodePng(size: number, rgba: Buffer): Buffer;
export declare function decodePng(buf: Buffer): { size: number; rgba: Buffer };
export declare function encodeIco(images: { size: number; rgba: Buffer }[]): Buffer;
export declare function decodeIco(buf: Buffer): { size: number; kind: 'png' | 'bmp'; rgba: Buffer; bitCount?: number; headerHeight?: number }[];
export declare function encodeIcns(entries: { type: string; png: Buffer }[]): Buffer;
export declare function decodeIcns(buf: Buffer): { type: string; png: Buffer }[];
export declare function generateIcons(svgText: string): Map<string, Buffer>;
export declare function pixelsOf(path: string, buf: Buffer): Buffer[];
export declare function staleIcons(root: string, files: Map<string, Buffer>): string[];
