// Preprocessing against an independent PIL/numpy reference, and every kind of bad image.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import sharp from 'sharp';
import zlib from 'node:zlib';
import { parsePreprocessorConfig, preprocessImage } from '../../src/engine/preprocess';
import { PYTHON, ROOT } from '../fixtures/fixturePacks';

const TMP = path.join(ROOT, '.test-artifacts', 'preprocess');
mkdirSync(TMP, { recursive: true });
const havePil = spawnSync(PYTHON, ['-c', 'import PIL, numpy'], { encoding: 'utf8' }).status === 0;
const SKIP_PIL = havePil ? false : `${PYTHON} with PIL and numpy is missing (apt-get install python3-pil python3-numpy)`;

const CLIP = { do_resize: true, size: { shortest_edge: 32 }, resample: 3, do_center_crop: true, crop_size: { height: 32, width: 32 }, do_rescale: true, rescale_factor: 1 / 255, do_normalize: true, image_mean: [0.48145466, 0.4578275, 0.40821073], image_std: [0.26862954, 0.26130258, 0.27577711] };
const SIGLIP = { do_resize: true, size: { height: 24, width: 40 }, resample: 3, do_rescale: true, rescale_factor: 1 / 255, do_normalize: true, image_mean: [0.5, 0.5, 0.5], image_std: [0.5, 0.5, 0.5] };

/** A deterministic, textured test image (gradients + noise), so resampling differences are visible. */
async function texture(file: string, w: number, h: number, channels: 3 | 4 = 3): Promise<void> {
  const buf = new Uint8Array(w * h * channels);
  let s = 7;
  for (let y = 0; y < h; y++) for (let x = 0; x < w; x++) for (let c = 0; c < channels; c++) {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    buf[(y * w + x) * channels + c] = c === 3 ? (x * 255) / (w - 1) : ((x * 3 + y * 5 + c * 60) % 200) + (s % 40);
  }
  await sharp(buf, { raw: { width: w, height: h, channels } }).png().toFile(file);
}

const concat = (parts: Uint8Array[]): Uint8Array => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};
const u32be = (v: number) => {
  const b = new Uint8Array(4);
  new DataView(b.buffer).setUint32(0, v >>> 0);
  return b;
};
/** CRC-32 as PNG chunks need it (zlib.crc32 only exists from Node 20.15). */
function crc32(data: Uint8Array): number {
  let c = ~0;
  for (const byte of data) {
    c ^= byte;
    for (let k = 0; k < 8; k++) c = c & 1 ? (c >>> 1) ^ 0xedb88320 : c >>> 1;
  }
  return ~c >>> 0;
}

/** A PNG written by hand: 8- or 16-bit greyscale, `fill` in every sample (big-endian, as PNG stores it). */
function greyPng(width: number, height: number, bitDepth: 8 | 16, fill: number, dataRows = height): Uint8Array {
  const chunk = (type: string, data: Uint8Array) => {
    const body = concat([new TextEncoder().encode(type), data]);
    return concat([u32be(data.length), body, u32be(crc32(body))]);
  };
  const ihdr = concat([u32be(width), u32be(height), new Uint8Array([bitDepth, 0, 0, 0, 0])]); // greyscale
  const bps = bitDepth / 8;
  const row = new Uint8Array(1 + width * bps);
  const dv = new DataView(row.buffer);
  for (let x = 0; x < width; x++) {
    if (bitDepth === 16) dv.setUint16(1 + 2 * x, fill);
    else dv.setUint8(1 + x, fill);
  }
  const idat = new Uint8Array(zlib.deflateSync(concat(new Array(dataRows).fill(row))));
  return concat([new Uint8Array([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr), chunk('IDAT', idat), chunk('IEND', new Uint8Array(0))]);
}

function reference(image: string, cfg: object): Float32Array {
  const cfgFile = path.join(TMP, 'cfg.json');
  const out = path.join(TMP, 'ref.f32');
  writeFileSync(cfgFile, JSON.stringify(cfg));
  const r = spawnSync(PYTHON, [path.join(ROOT, 'test', 'fixtures', 'preprocess_reference.py'), image, cfgFile, out], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const b = readFileSync(out);
  return new Float32Array(b.buffer.slice(b.byteOffset, b.byteOffset + b.length));
}

/** Differences in units of 8-bit grey levels (undoing the normalisation per channel). */
function levelDiffs(a: Float32Array, b: Float32Array, std: number[]): { max: number; mean: number } {
  assert.equal(a.length, b.length);
  const plane = a.length / 3;
  let max = 0, sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = (Math.abs(a[i] - b[i]) * std[Math.floor(i / plane)]) * 255;
    max = Math.max(max, d);
    sum += d;
  }
  return { max, mean: sum / a.length };
}

describe('engine preprocessing vs PIL/numpy reference', { skip: SKIP_PIL }, () => {
  it('crop + rescale + normalise only (no resampling): equal within float32 rounding', async () => {
    const img = path.join(TMP, 'exact.png');
    await texture(img, 32, 48); // shortest edge already 32 → no resize, centre crop 32×32 from 32×48
    const cfg = parsePreprocessorConfig(CLIP, 'clip');
    const ours = await preprocessImage(img, cfg);
    const ref = reference(img, CLIP);
    const d = levelDiffs(ours.pixels, ref, CLIP.image_std);
    assert.ok(d.max < 1e-3, `max diff ${d.max} grey levels`);
    assert.deepEqual(ours.region, { x: 0, y: 8, width: 32, height: 32 });
  });

  // PIL's BICUBIC and libvips' cubic are both Keys/Catmull-Rom with antialiasing on downscale, but they
  // differ in fixed-point rounding and edge handling: measured max ≈ 2–4 grey levels, mean < 0.5. The
  // bounds below (max 8, mean 1 grey level) fail on a wrong kernel (nearest/bilinear give mean > 2), a
  // wrong crop offset or a channel swap.
  it('shortest_edge bicubic resize + centre crop (CLIP): within 8 grey levels max, 1 level mean', async () => {
    const img = path.join(TMP, 'clip.png');
    await texture(img, 101, 77);
    const ours = await preprocessImage(img, parsePreprocessorConfig(CLIP, 'clip'));
    const d = levelDiffs(ours.pixels, reference(img, CLIP), CLIP.image_std);
    assert.ok(d.max <= 8 && d.mean <= 1, `max ${d.max.toFixed(2)}, mean ${d.mean.toFixed(3)} grey levels`);
    assert.deepEqual([ours.width, ours.height], [32, 32]);
  });

  it('exact height×width resize without crop (SigLIP): within 8 grey levels max, 1 level mean', async () => {
    const img = path.join(TMP, 'siglip.png');
    await texture(img, 90, 50);
    const ours = await preprocessImage(img, parsePreprocessorConfig(SIGLIP, 'siglip'));
    const d = levelDiffs(ours.pixels, reference(img, SIGLIP), SIGLIP.image_std);
    assert.ok(d.max <= 8 && d.mean <= 1, `max ${d.max.toFixed(2)}, mean ${d.mean.toFixed(3)} grey levels`);
    assert.deepEqual(ours.region, { x: 0, y: 0, width: 90, height: 50 });
  });

  it('RGBA is flattened onto white, like the reference', async () => {
    const img = path.join(TMP, 'alpha.png');
    await texture(img, 32, 32, 4);
    const ours = await preprocessImage(img, parsePreprocessorConfig(CLIP, 'clip'));
    const d = levelDiffs(ours.pixels, reference(img, CLIP), CLIP.image_std);
    // Compositing rounds once in libvips and once in PIL: at most one grey level apart.
    assert.ok(d.max <= 1.01, `max ${d.max.toFixed(2)} grey levels`);
  });
});

describe('engine preprocessing: colour, orientation', () => {
  const cfg = parsePreprocessorConfig({ ...CLIP, do_normalize: false, do_rescale: false }, 'raw');
  it('EXIF orientation 6 is applied (portrait result, size reported after rotation)', async () => {
    const img = path.join(TMP, 'exif.jpg');
    await sharp({ create: { width: 64, height: 32, channels: 3, background: '#808080' } }).jpeg().withMetadata({ orientation: 6 }).toFile(img);
    const r = await preprocessImage(img, cfg);
    assert.deepEqual(r.imageSize, { width: 32, height: 64 });
  });
  it('16-bit grey PNG becomes 8-bit sRGB with equal channels', async () => {
    const img = path.join(TMP, 'grey16.png');
    writeFileSync(img, greyPng(32, 32, 16, 40000));
    const meta = await sharp(img).metadata();
    assert.equal(meta.depth, 'ushort', 'the test image must really be 16-bit');
    const r = await preprocessImage(img, cfg);
    const plane = 32 * 32;
    assert.equal(r.pixels[0], r.pixels[plane]);
    assert.equal(r.pixels[plane], r.pixels[2 * plane]);
    assert.ok(Math.abs(r.pixels[0] - Math.round((40000 / 65535) * 255)) <= 1, `got ${r.pixels[0]}`);
  });
  it('CMYK JPEG is converted to sRGB (3 channels, plausible values)', async () => {
    const img = path.join(TMP, 'cmyk.jpg');
    await sharp({ create: { width: 32, height: 32, channels: 3, background: '#ff0000' } }).toColourspace('cmyk').jpeg().toFile(img);
    const r = await preprocessImage(img, cfg);
    const plane = 32 * 32;
    assert.ok(r.pixels[0] > 200 && r.pixels[plane] < 60 && r.pixels[2 * plane] < 60, `got ${r.pixels[0]}, ${r.pixels[plane]}, ${r.pixels[2 * plane]}`);
  });
});

describe('BAD INPUT - images', () => {
  const cfg = parsePreprocessorConfig(CLIP, 'clip');
  it('BAD INPUT - missing file → names the file and ENOENT', async () => {
    await assert.rejects(preprocessImage(path.join(TMP, 'nope.png'), cfg), { message: /nope\.png: cannot read the image \(ENOENT\)/ });
  });
  it('BAD INPUT - 0-byte image → "the file is empty"', async () => {
    const f = path.join(TMP, 'empty.png');
    writeFileSync(f, '');
    await assert.rejects(preprocessImage(f, cfg), { message: /empty\.png: the file is empty \(0 bytes\)/ });
  });
  it('BAD INPUT - not an image (text) → "not an image SEA Lens can read"', async () => {
    const f = path.join(TMP, 'text.png');
    writeFileSync(f, 'hello, I am not a PNG');
    await assert.rejects(preprocessImage(f, cfg), { message: /text\.png: not an image SEA Lens can read .*; convert it to PNG/ });
  });
  it('BAD INPUT - truncated PNG → "truncated or corrupt"', async () => {
    const f = path.join(TMP, 'trunc.png');
    await texture(f, 64, 64);
    const b = readFileSync(f);
    writeFileSync(f, new Uint8Array(b.buffer, b.byteOffset, Math.floor(b.length / 2)));
    await assert.rejects(preprocessImage(f, cfg), { message: /trunc\.png: (the image file is corrupt or truncated|not a readable image).*/ });
  });
  it('BAD INPUT - decompression bomb (declared 20000×20000) → refused before decoding', async () => {
    const f = path.join(TMP, 'bomb.png');
    writeFileSync(f, greyPng(20000, 20000, 8, 0, 4)); // header says 400 M pixels, data holds 4 rows
    await assert.rejects(preprocessImage(f, cfg, 50_000_000), { message: /bomb\.png: .*(decompression-bomb guard|pixel limit)/ });
  });
  it('BAD INPUT - animated GIF → first frame used, with a note', async () => {
    const f = path.join(TMP, 'anim.gif');
    const frames = new Uint8Array(32 * 32 * 4 * 3);
    const colours = [[255, 0, 0, 255], [0, 0, 255, 255], [0, 255, 0, 255]];
    for (let i = 0; i < 32 * 32 * 3; i++) frames.set(colours[Math.floor(i / (32 * 32))], i * 4);
    await sharp(frames, { raw: { width: 32, height: 32 * 3, channels: 4, pageHeight: 32 } as never }).gif().toFile(f);
    const r = await preprocessImage(f, parsePreprocessorConfig({ ...CLIP, do_normalize: false, do_rescale: false }, 'raw'));
    assert.match(r.notes.join(), /animated GIF with 3 frames — the first frame was used/);
    assert.ok(r.pixels[0] > 200 && r.pixels[2 * 32 * 32] < 50, 'first (red) frame expected');
  });
});

describe('BAD INPUT - preprocessor_config.json', () => {
  it('BAD INPUT - size without shortest_edge or height/width → says what is expected', () => {
    assert.throws(() => parsePreprocessorConfig({ size: { longest_edge: 3 } }, 'pp.json'), { message: /pp\.json: "size" must be/ });
  });
  it('BAD INPUT - image_mean with 2 numbers → names the key', () => {
    assert.throws(() => parsePreprocessorConfig({ ...CLIP, image_mean: [0.5, 0.5] }, 'pp.json'), { message: /"image_mean" must be three numbers/ });
  });
});
