/**
 * A text's QR code as one SVG path (modules as horizontal runs, a 4-module quiet zone), for the
 * renderer's QrCode component and the recovery kit page alike: no inline styles, so a strict CSP
 * holds wherever it is drawn.
 */
import qrcode from 'qrcode-generator';

export function qrPath(text: string): { d: string; size: number } {
  const qr = qrcode(0, 'M');
  qr.addData(text, 'Byte');
  qr.make();
  const n = qr.getModuleCount();
  let d = '';
  for (let r = 0; r < n; r++) {
    for (let c = 0; c < n; c++) {
      if (!qr.isDark(r, c)) continue;
      let run = 1;
      while (c + run < n && qr.isDark(r, c + run)) run++;
      d += `M${c + 4} ${r + 4}h${run}v1h-${run}z`;
      c += run - 1;
    }
  }
  return { d, size: n + 8 };
}
