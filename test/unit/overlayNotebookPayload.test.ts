// The notebook renderer's payload checks: TokenMaps of version 2 and version 1 (upgraded, sized from the
// image's own header when the map did not record it) are drawn; maps whose boxes leave the image, and
// comparisons of maps of different geometry, are refused with a message that names the field.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { checkTokenMap, dataUriImageSize, PayloadError } from '../../webview/notebook/validatePayload';
import { llavaNextMap } from '../fixtures/tokenMaps';

/** A real PNG header (signature + IHDR) of a w×h image, as a data URI. */
function pngUri(w: number, h: number): string {
  const b = Buffer.alloc(33);
  b.set([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a], 0);
  b.writeUInt32BE(13, 8);
  b.write('IHDR', 12, 'latin1');
  b.writeUInt32BE(w, 16);
  b.writeUInt32BE(h, 20);
  return `data:image/png;base64,${b.toString('base64')}`;
}

function jpegUri(w: number, h: number): string {
  // SOI, an APP0 segment of 16 bytes, then SOF0 with height and width.
  const app0 = [0xff, 0xe0, 0x00, 0x10, ...Array(14).fill(0)];
  const sof = [0xff, 0xc0, 0x00, 0x11, 0x08, h >> 8, h & 255, w >> 8, w & 255, 3, ...Array(9).fill(0)];
  return `data:image/jpeg;base64,${Buffer.from([0xff, 0xd8, ...app0, ...sof]).toString('base64')}`;
}

const v1 = { image: 'a.png', pack: 'p', adapter: 'sea', device: 'cpu', grid: { rows: 2, cols: 2 }, timings: {},
  patches: [0, 1, 2, 3].map((i) => ({ row: i >> 1, col: i & 1, words: [{ word: `w${i}`, score: 0.5 }] })) };

test('dataUriImageSize: PNG, GIF and JPEG headers; other formats and garbage give undefined', () => {
  assert.deepEqual(dataUriImageSize(pngUri(640, 480)), { width: 640, height: 480 });
  assert.deepEqual(dataUriImageSize(jpegUri(300, 200)), { width: 300, height: 200 });
  const gif = Buffer.from('GIF89a\x60\x00\x30\x00', 'latin1').toString('base64');
  assert.deepEqual(dataUriImageSize(`data:image/gif;base64,${gif}`), { width: 96, height: 48 });
  assert.equal(dataUriImageSize('data:image/webp;base64,AAAA'), undefined);
  assert.equal(dataUriImageSize('data:image/png;base64,!!!'), undefined);
});

test('version 1 maps are upgraded; a missing imageSize comes from the image, so the grid covers its pixels', () => {
  const tm = checkTokenMap(v1, 'TokenMap', pngUri(640, 480));
  assert.equal(tm.version, 2);
  assert.deepEqual(tm.imageSize, { width: 640, height: 480 });
  assert.deepEqual(tm.patches[3].box, { x: 320, y: 240, w: 320, h: 240 });
  assert.equal(tm.patches[3].kind, 'patch');
});

test('version 2 maps pass, with their extra fields (the image pixels) kept', () => {
  const m = { ...llavaNextMap(), imageDataUri: pngUri(672, 672) };
  const tm = checkTokenMap(m, 'TokenMap', m.imageDataUri) as typeof m;
  assert.equal(tm.patches.length, 2928);
  assert.equal(tm.imageDataUri, m.imageDataUri);
});

test('EXPECTED FAILURE - a map whose boxes leave the image is refused with the token and the sizes', () => {
  const m = structuredClone(llavaNextMap());
  m.patches[600].box = { x: 660, y: 0, w: 28, h: 14 };
  assert.throws(() => checkTokenMap(m), (e: unknown) => e instanceof PayloadError
    && /TokenMap\.patches\[600\]\.box \{"x":660,"y":0,"w":28,"h":14\} leaves the 672×672 image\. Run the cell again/.test((e as Error).message));
  assert.throws(() => checkTokenMap({ ...v1, grid: { rows: 3, cols: 2 } }), /TokenMap\.patches has 4 entries; a 3×2 grid needs 6/);
  assert.throws(() => checkTokenMap('x', 'result.a'), /result\.a is not an object/);
});
