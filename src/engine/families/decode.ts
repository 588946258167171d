// One image file → 8-bit sRGB RGB bytes at full size, EXIF orientation applied, alpha flattened onto white
// (what an image viewer shows and what the family processors' convert-to-RGB gives for most inputs).
// Only regular files are read (readImageFile), and the pixel limit covers the source and the largest raster the views
// will allocate, so a tiny file that decodes or resizes to gigabytes is refused before it is decoded.
import { imageError } from '../engineError';
import { corruptImageError, DEFAULT_MAX_PIXELS } from '../preprocess';
import { openImage } from '../openImage';

export interface DecodedImage {
  name: string;
  rgb: Uint8Array;
  size: { width: number; height: number };
  notes: string[];
}

export async function decodeImage(
  file: string, largestTarget: (size: { width: number; height: number }) => number, maxPixels = DEFAULT_MAX_PIXELS,
): Promise<DecodedImage> {
  const { name, bytes, open, meta, size, notes } = await openImage(file, maxPixels);
  const target = largestTarget(size);
  if (target > maxPixels) {
    throw imageError(`${name}: ${size.width}×${size.height} pixels is resized to ${target} pixels by the model's processor, more than the limit of ${maxPixels} (decompression-bomb guard); downscale the image first`);
  }
  if (meta.hasAlpha) notes.push('alpha → white');
  try {
    let p = open();
    if ((meta.orientation ?? 1) > 1) p = p.rotate();
    if (meta.hasAlpha !== false) p = p.flatten({ background: '#ffffff' });
    if (meta.space !== 'srgb' || meta.channels !== 3 || meta.hasProfile !== false) p = p.toColourspace('srgb');
    const { data, info } = await p.removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
    if (info.channels !== 3 || info.width !== size.width || info.height !== size.height) throw new Error(`decoder returned ${info.width}×${info.height}×${info.channels}`);
    return { name, rgb: new Uint8Array(data.buffer, data.byteOffset, data.length), size, notes };
  } catch (e) {
    throw await corruptImageError(name, bytes, e as Error); // "Unknown error" from libvips → libpng's own reason
  }
}
