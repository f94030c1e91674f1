import { useMemo } from 'react';
import { qrPath } from '../../common/qr.js';

/** The QR code of a text, drawn as one SVG path (no inline styles, so the CSP stays strict). */
export function QrCode({ text, label }: { text: string; label: string }) {
  const { d, size } = useMemo(() => qrPath(text), [text]);
  return (
    <svg className="qr" viewBox={`0 0 ${size} ${size}`} role="img" aria-label={label} shapeRendering="crispEdges" data-testid="qr">
      <rect width={size} height={size} className="qr-bg" />
      <path d={d} className="qr-fg" />
    </svg>
  );
}
