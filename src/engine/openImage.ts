// The first step of every image read: the bytes of a regular file (readImageFile), sharp's metadata, the size
// after EXIF orientation, and the notes a person should see (only the first frame of an animation is used).
// Both preprocessing paths (grid packs: preprocess.ts; family views: families/decode.ts) start here.
import path from 'node:path';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { imageError } from './engineError';
import { readImageFile } from './readImageFile';
import { IMAGE_EXTENSION_LIST, IMAGE_FORMATS } from '../shared/mediaLimits';

export interface OpenedImage {
  name: string;
  /** The file's bytes (for a second look when decoding fails: corruptImageError). */
  bytes: Buffer;
  /** A fresh decoder of the first frame (each pipeline needs its own). */
  open(): Sharp;
  meta: Metadata;
  /** Size after EXIF orientation (orientations 5–8 swap width and height). */
  size: { width: number; height: number };
  notes: string[];
}

export async function openImage(file: string, maxPixels: number): Promise<OpenedImage> {
  const name = path.basename(file);
  const bytes = readImageFile(file);
  const open = () => sharp(bytes, { limitInputPixels: maxPixels, failOn: 'error', pages: 1, page: 0 });
  let meta: Metadata;
  try {
    meta = await open().metadata();
  } catch (e) {
    throw unreadable(name, (e as Error).message, maxPixels);
  }
  // sharp also decodes SVG (which may pull in other local files), PDF, JPEG 2000…: only the formats of the
  // one table are read. AVIF is HEIF with AV1 inside.
  const format = meta.format === 'heif' && meta.compression === 'av1' ? 'avif' : meta.format;
  if (!IMAGE_FORMATS.some((f) => f.format === format)) {
    throw imageError(`${name}: a${/^[aeiou]/i.test(String(format)) ? 'n' : ''} ${String(format).toUpperCase()} image, not a format SEA Lens reads (${IMAGE_EXTENSION_LIST}); convert it to PNG first`);
  }
  if (!meta.width || !meta.height) throw imageError(`${name}: the image has no size; re-export or re-download it`);
  if (meta.width * meta.height > maxPixels) {
    throw imageError(`${name}: ${meta.width}×${meta.height} pixels is more than the limit of ${maxPixels} (decompression-bomb guard); downscale the image first`);
  }
  const notes: string[] = [];
  if ((meta.pages ?? 1) > 1) notes.push(`${name}: ${meta.format === 'gif' ? 'animated GIF' : 'multi-page image'} with ${meta.pages} frames — the first frame was used`);
  const rotated = (meta.orientation ?? 1) >= 5;
  return { name, bytes, open, meta, size: { width: rotated ? meta.height : meta.width, height: rotated ? meta.width : meta.height }, notes };
}

/** sharp's header errors, said as what is wrong and what to do (its words kept, each line once). */
function unreadable(name: string, message: string, maxPixels: number) {
  if (/exceeds pixel limit/i.test(message)) {
    return imageError(`${name}: the image declares more than ${maxPixels} pixels (decompression-bomb guard); downscale it first`);
  }
  if (/unsupported image format/i.test(message)) {
    return imageError(`${name}: not an image SEA Lens can read (its bytes are none of ${IMAGE_EXTENSION_LIST}); convert it to PNG, or check that it is the file you meant`);
  }
  const lines = [...new Set(message.replace(/^Input (buffer|file) has corrupt header:?/i, '').split(/\n/).map((l) => l.trim()).filter(Boolean))];
  const reason = lines.join('; ').slice(0, 200) || 'its header cannot be parsed';
  return imageError(`${name}: the image file is corrupt or truncated (${reason}); re-export or re-download it`);
}
