/**
 * Reads a QR code from a picture the user picks (a screenshot or photo of the Identity page or
 * of the recovery kit), in the page itself: the image is decoded into pixels and searched with
 * jsQR. Nothing leaves the page, and no camera permission is asked for.
 */
import jsQR from 'jsqr';

/** Pictures larger than this are scaled down first: QR codes stay readable, and memory bounded. */
const MAX_SIDE = 2048;

/** The text of the first QR code found in `file`, or null when there is none (or it is no picture). */
export async function readQrFromImage(file: Blob): Promise<string | null> {
  let bitmap: ImageBitmap;
  try {
    bitmap = await createImageBitmap(file);
  } catch {
    return null;
  }
  const scale = Math.min(1, MAX_SIDE / Math.max(bitmap.width, bitmap.height));
  const width = Math.max(1, Math.round(bitmap.width * scale));
  const height = Math.max(1, Math.round(bitmap.height * scale));
  const canvas = document.createElement('canvas');
  canvas.width = width;
  canvas.height = height;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  if (!ctx) return null;
  ctx.drawImage(bitmap, 0, 0, width, height);
  bitmap.close();
  const { data } = ctx.getImageData(0, 0, width, height);
  return jsQR(data, width, height)?.data ?? null;
}
