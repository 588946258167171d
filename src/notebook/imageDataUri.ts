// Pixels for notebook outputs: renderers (VS Code's or Jupyter's) cannot read the user's files, so each
// output that draws on an image carries it as a data URI. Large images are downscaled so that a saved
// notebook stays small enough to diff and to commit.

import { readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';

const PASS_THROUGH: Record<string, string> = { '.png': 'image/png', '.jpg': 'image/jpeg', '.jpeg': 'image/jpeg', '.gif': 'image/gif', '.webp': 'image/webp' };
const MAX_INLINE_BYTES = 256 * 1024;

export async function imageDataUri(file: string, maxSide = 768): Promise<string | undefined> {
  const ext = extname(file).toLowerCase();
  const { size } = await stat(file);
  if (PASS_THROUGH[ext] && size <= MAX_INLINE_BYTES) {
    return `data:${PASS_THROUGH[ext]};base64,${(await readFile(file)).toString('base64')}`;
  }
  try {
    // sharp is loaded lazily: only large or unusual images need it, and the parser/tests should not.
    const sharp = (await import('sharp')).default;
    const img = sharp(file, { animated: false }).rotate().resize({ width: maxSide, height: maxSide, fit: 'inside', withoutEnlargement: true });
    const { hasAlpha } = await img.metadata();
    const buf = hasAlpha ? await img.png().toBuffer() : await img.jpeg({ quality: 85 }).toBuffer();
    return `data:image/${hasAlpha ? 'png' : 'jpeg'};base64,${buf.toString('base64')}`;
  } catch {
    return undefined; // the renderer says the pixels are missing; the words are still shown
  }
}
