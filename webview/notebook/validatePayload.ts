// Outputs come from notebook files, which anyone can edit: every payload is checked before it is drawn,
// and a bad one gets a message that says which field is wrong instead of a broken or blank output.
// TokenMaps of version 1 (notebooks saved by earlier releases) are upgraded to version 2; a map whose boxes
// leave the image is refused (upgradeTokenMap checks every box).

import { TokenMapError, upgradeTokenMap, type TokenMap } from '../../src/shared/tokenMap';

import { storedOutputSizeProblem } from '../../src/shared/notebookFormat';

export class PayloadError extends Error {}

const DATA_IMAGE = /^data:image\/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=]+$/;

/**
 * A stored TokenMap as a checked version-2 map. `imageDataUri` gives the image's size to a v1 map that did
 * not record it, so that its grid lands on the pixels it covered.
 */
export function checkTokenMap(x: unknown, where = 'TokenMap', imageDataUri?: unknown): TokenMap {
  if (typeof x !== 'object' || x === null) throw new PayloadError(`${where} is not an object.`);
  const natural = typeof imageDataUri === 'string' ? dataUriImageSize(imageDataUri) : undefined;
  try {
    return { ...(x as object), ...upgradeTokenMap(x, where, natural) };
  } catch (e) {
    if (e instanceof TokenMapError) throw new PayloadError(`${e.message} Run the cell again to refresh this output.`);
    throw e;
  }
}

/**
 * Sizes first (src/shared/mediaLimits.ts): an output from a Jupyter kernel or a hand-edited file that
 * claims a 10000×10000 grid is refused before any view allocates by it.
 */
export function checkOutputSize(mime: string, data: unknown): unknown {
  const problem = storedOutputSizeProblem(mime, data);
  if (problem) throw new PayloadError(`${problem}. Run the cell again to refresh this output.`);
  return data;
}

export function checkImage(uri: unknown): string {
  if (typeof uri !== 'string' || !DATA_IMAGE.test(uri)) {
    throw new PayloadError('This output carries no image pixels (imageDataUri missing or not a base64 data:image URI). Run the cell again to refresh it.');
  }
  return uri;
}

/** Width and height from the header of a PNG, GIF or JPEG data URI (undefined for other formats). */
export function dataUriImageSize(uri: string): { width: number; height: number } | undefined {
  const m = /^data:image\/(png|gif|jpeg);base64,(.*)$/s.exec(uri);
  if (!m) return undefined;
  let bin: string;
  try {
    bin = atob(m[2].slice(0, 1 << 16)); // the header lies in the first bytes (JPEG: before the first SOF)
  } catch {
    return undefined;
  }
  const at = (i: number) => bin.charCodeAt(i);
  const be16 = (i: number) => (at(i) << 8) | at(i + 1);
  let size: { width: number; height: number } | undefined;
  if (m[1] === 'png' && bin.length >= 24) size = { width: (be16(16) << 16) | be16(18), height: (be16(20) << 16) | be16(22) };
  else if (m[1] === 'gif' && bin.length >= 10) size = { width: at(6) | (at(7) << 8), height: at(8) | (at(9) << 8) };
  else if (m[1] === 'jpeg') {
    for (let i = 2; i + 9 < bin.length;) {
      if (at(i) !== 0xff) return undefined;
      const marker = at(i + 1);
      if (marker >= 0xc0 && marker <= 0xcf && ![0xc4, 0xc8, 0xcc].includes(marker)) {
        size = { width: be16(i + 7), height: be16(i + 5) };
        break;
      }
      i += 2 + be16(i + 2);
    }
  }
  return size && size.width > 0 && size.height > 0 ? size : undefined;
}
