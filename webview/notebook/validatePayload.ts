// Outputs come from notebook files, which anyone can edit: every payload is checked before it is drawn,
// and a bad one gets a message that says which field is wrong instead of a broken or blank output.

import type { TokenMap } from '../../src/shared/tokenMap';

export class PayloadError extends Error {}

const DATA_IMAGE = /^data:image\/(png|jpeg|gif|webp|svg\+xml);base64,[A-Za-z0-9+/=]+$/;

export function checkTokenMap(x: unknown, where = 'TokenMap'): TokenMap {
  const tm = x as TokenMap;
  if (typeof tm !== 'object' || tm === null) throw new PayloadError(`${where} is not an object.`);
  const { rows, cols } = tm.grid ?? ({} as TokenMap['grid']);
  if (!isCount(rows) || !isCount(cols)) throw new PayloadError(`${where}.grid must have whole rows and cols ≥ 1 (found ${JSON.stringify(tm.grid)}).`);
  if (!Array.isArray(tm.patches) || tm.patches.length !== rows * cols) {
    throw new PayloadError(`${where}.patches has ${Array.isArray(tm.patches) ? tm.patches.length : 'no'} entries; a ${rows}×${cols} grid needs ${rows * cols}.`);
  }
  tm.patches.forEach((p, i) => {
    if (!Array.isArray(p?.words) || p.words.some((w) => typeof w?.word !== 'string' || typeof w?.score !== 'number')) {
      throw new PayloadError(`${where}.patches[${i}].words must be a list of {word, score}.`);
    }
  });
  return tm;
}

export function checkImage(uri: unknown): string {
  if (typeof uri !== 'string' || !DATA_IMAGE.test(uri)) {
    throw new PayloadError('This output carries no image pixels (imageDataUri missing or not a base64 data:image URI). Run the cell again to refresh it.');
  }
  return uri;
}

function isCount(n: unknown): n is number {
  return Number.isInteger(n) && (n as number) >= 1 && (n as number) <= 4096;
}
