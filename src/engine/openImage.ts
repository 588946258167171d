// The first step of every image read: the bytes of a regular file (readImageFile), sharp's metadata, the size
// after EXIF orientation, and the notes a person should see (only the first frame of an animation is used).
// Both preprocessing paths (grid packs: preprocess.ts; family views: families/decode.ts) start here.
import path from 'node:path';
import sharp, { type Metadata, type Sharp } from 'sharp';
import { imageError } from './engineError';
import { readImageFile } from './readImageFile';

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
    throw imageError(`${name}: not a readable image (${(e as Error).message})`);
  }
  if (!meta.width || !meta.height) throw imageError(`${name}: the image has no size`);
  if (meta.width * meta.height > maxPixels) {
    throw imageError(`${name}: ${meta.width}×${meta.height} pixels is more than the limit of ${maxPixels} (decompression-bomb guard); downscale the image first`);
  }
  const notes: string[] = [];
  if ((meta.pages ?? 1) > 1) notes.push(`${name}: ${meta.format === 'gif' ? 'animated GIF' : 'multi-page image'} with ${meta.pages} frames — the first frame was used`);
  const rotated = (meta.orientation ?? 1) >= 5;
  return { name, bytes, open, meta, size: { width: rotated ? meta.height : meta.width, height: rotated ? meta.width : meta.height }, notes };
}
