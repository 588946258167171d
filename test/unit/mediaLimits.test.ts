// The one table of image formats and limits (src/shared/mediaLimits.ts) against the copies that cannot
// import it: package.json's explorer menus (`when` regex), the custom editor's file pattern, the topK
// setting's range, and the Python trainer's dataset extensions. Also: sharp really decodes every format
// in the table, and only regular files are read.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import zlib from 'node:zlib';
import { IMAGE_EXTENSIONS, IMAGE_FORMATS, LIMITS, isImageFileName } from '../../src/shared/mediaLimits';
import { listImages } from '../../src/engine/engine';
import { readImageFile } from '../../src/engine/readImageFile';
import { parsePreprocessorConfig, preprocessImage } from '../../src/engine/preprocess';

const root = path.resolve(__dirname, '..', '..');
const pkg = JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8'));
const table = [...IMAGE_EXTENSIONS].sort();
// Extensions people try: every one must be judged the same way by the table and by each copy.
const CANDIDATES = [...table, 'bmp', 'svg', 'ico', 'heic', 'jxl', 'psd', 'txt', 'jpe', 'tifff'];

test('package.json explorer menus: the `when` regex accepts exactly the table\'s extensions', () => {
  const menus = pkg.contributes.menus['explorer/context'] as { command: string; when: string }[];
  assert.ok(menus.length > 0);
  for (const m of menus) {
    // A folder named x.png is not an image: the menu must not offer to explain it.
    assert.ok(m.when.startsWith('!explorerResourceIsFolder && '), `${m.command}: ${m.when}`);
    const match = /resourceExtname =~ \/(.+)\/(i?)$/.exec(m.when);
    assert.ok(match, `${m.command}: when clause is not a resourceExtname regex: ${m.when}`);
    const re = new RegExp(match[1], match[2]);
    const accepted = CANDIDATES.filter((e) => re.test(`.${e}`)).sort();
    assert.deepEqual(accepted, table, `${m.command}: ${m.when}`);
    assert.equal(match[2], 'i', `${m.command}: the regex must ignore case (PNG, JPG)`);
  }
});

test('package.json custom editor: the file pattern lists the table\'s extensions in lower and upper case', () => {
  const selectors = pkg.contributes.customEditors.flatMap((e: { selector: { filenamePattern: string }[] }) => e.selector);
  for (const { filenamePattern } of selectors) {
    const m = /^\*\.\{(.+)\}$/.exec(filenamePattern);
    assert.ok(m, `unexpected pattern ${filenamePattern}`);
    const listed = m[1].split(',');
    assert.deepEqual([...new Set(listed.map((e) => e.toLowerCase()))].sort(), table);
    for (const e of table) assert.ok(listed.includes(e) && listed.includes(e.toUpperCase()), `${e} / ${e.toUpperCase()} missing in ${filenamePattern}`);
  }
});

test('package.json seaLens.topK: range and default are the table\'s', () => {
  const s = pkg.contributes.configuration.properties['seaLens.topK'];
  assert.deepEqual([s.minimum, s.maximum, s.default], [LIMITS.topK.min, LIMITS.topK.max, LIMITS.topK.default]);
});

test('Python trainer: dataset.IMAGE_EXT is the table\'s extensions', (t) => {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import json; from sealens.runner.dataset import IMAGE_EXT; print(json.dumps(sorted(IMAGE_EXT)))'],
    { cwd: path.join(root, 'python'), encoding: 'utf8' });
  if (r.error || r.status !== 0) return t.skip(`SKIPPED: /usr/bin/python3 cannot import sealens.runner.dataset (${r.error?.message ?? r.stderr.trim().split('\n').pop()})`);
  assert.deepEqual(JSON.parse(r.stdout), table.map((e) => `.${e}`));
});

test('every format of the table is one sharp decodes (and BMP is not)', async () => {
  const src = sharp({ create: { width: 4, height: 4, channels: 3, background: '#3366cc' } });
  for (const f of IMAGE_FORMATS) {
    const bytes = await src.clone().toFormat(f.format).toBuffer();
    const meta = await sharp(bytes).metadata();
    assert.equal(meta.format === 'heif' ? 'avif' : meta.format, f.format, `${f.format} round trip`);
  }
  assert.equal(isImageFileName('x.BMP'), false);
  assert.equal(isImageFileName('photo.JPeG'), true);
});

test('BAD INPUT - only regular files are read: folder, FIFO, device are refused at once, naming what they are', (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sealens-media-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'x.png'));
  assert.throws(() => readImageFile(path.join(dir, 'x.png')), /x\.png: a folder, not an image file/);
  if (process.platform !== 'win32') {
    spawnSync('mkfifo', [path.join(dir, 'f.png')]);
    const t0 = Date.now();
    assert.throws(() => readImageFile(path.join(dir, 'f.png')), /f\.png: a named pipe \(FIFO\), not an image file/);
    assert.ok(Date.now() - t0 < 1000, 'a FIFO must be refused without waiting for a writer');
    assert.throws(() => readImageFile('/dev/zero'), /\/dev\/zero: a device, not an image file/);
  }
  writeFileSync(path.join(dir, 'big.png'), Buffer.alloc(2048));
  assert.throws(() => readImageFile(path.join(dir, 'big.png'), 1024), /big\.png: 0\.0 MiB is more than the 0\.0 MiB limit|big\.png: .* limit for an image file/);
  writeFileSync(path.join(dir, 'empty.png'), '');
  assert.throws(() => readImageFile(path.join(dir, 'empty.png')), /empty\.png: the file is empty/);
});

test('BAD INPUT - listImages: a sub-folder named x.png is not an image; a folder without images is an error', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sealens-list-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  mkdirSync(path.join(dir, 'x.png'));
  writeFileSync(path.join(dir, 'notes.txt'), 'hi');
  await assert.rejects(listImages(dir), { message: new RegExp(`folder "${dir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}" has no image files \\(\\.png, \\.jpg`) });
  await assert.rejects(listImages(path.join(dir, 'x.png')), /has no image files/);
  await assert.rejects(listImages(path.join(dir, 'notes.txt')), /cannot be read \(not a folder\)/);
  writeFileSync(path.join(dir, 'b.JPG'), 'x');
  writeFileSync(path.join(dir, 'a.png'), 'x');
  writeFileSync(path.join(dir, 'c.bmp'), 'x');
  assert.deepEqual(await listImages(dir), [path.join(dir, 'a.png'), path.join(dir, 'b.JPG')]);
});

test('BAD INPUT - the pixel limit covers the resize target: a 1×100000 PNG is refused before it is resized', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sealens-tall-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const file = path.join(dir, 'tall.png');
  await sharp({ create: { width: 1, height: 100_000, channels: 3, background: '#888' } }).png().toFile(file);
  const cfg = parsePreprocessorConfig({ size: { shortest_edge: 224 }, crop_size: { height: 224, width: 224 }, image_mean: [0, 0, 0], image_std: [1, 1, 1] }, 'cfg');
  const rss0 = process.memoryUsage().rss;
  await assert.rejects(preprocessImage(file, cfg), /tall\.png: 1×100000 pixels resizes to 224×22400000 for this model, more than the limit of 100000000 pixels/);
  assert.ok(process.memoryUsage().rss - rss0 < 256 * 1024 * 1024, 'refused without allocating the resized raster');
});

/** PNG's CRC-32 (zlib.crc32 needs Node ≥ 20.15; we support 20.9). */
function crc32(buf: Buffer): number {
  let c = ~0;
  for (const b of buf) {
    c ^= b;
    for (let k = 0; k < 8; k++) c = (c >>> 1) ^ (0xedb88320 & -(c & 1));
  }
  return ~c >>> 0;
}

test('BAD INPUT - a PNG with a bad CRC is reported as corrupt, with libpng\'s reason (not "Unknown error")', async (t) => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sealens-crc-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const chunk = (type: string, data: Buffer, crc?: number): Buffer => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(data.length);
    const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
    const c = Buffer.alloc(4);
    c.writeUInt32BE(crc ?? crc32(body));
    return Buffer.concat([len, body, c]);
  };
  const ihdr = Buffer.alloc(13);
  ihdr.writeUInt32BE(8, 0);
  ihdr.writeUInt32BE(8, 4);
  ihdr[8] = 8;
  ihdr[9] = 2;
  const rows = Buffer.concat(Array.from({ length: 8 }, () => Buffer.concat([Buffer.from([0]), Buffer.alloc(24, 200)])));
  const file = path.join(dir, 'badcrc.png');
  writeFileSync(file, Buffer.concat([Buffer.from([137, 80, 78, 71, 13, 10, 26, 10]), chunk('IHDR', ihdr, 0x1234), chunk('IDAT', zlib.deflateSync(rows)), chunk('IEND', Buffer.alloc(0))]));
  const cfg = parsePreprocessorConfig({ size: { shortest_edge: 8 }, image_mean: [0, 0, 0], image_std: [1, 1, 1] }, 'cfg');
  await assert.rejects(preprocessImage(file, cfg), (e: Error) => {
    assert.match(e.message, /badcrc\.png: the image file is corrupt or truncated \(.*CRC error.*\)/);
    assert.doesNotMatch(e.message, /Unknown error/);
    return true;
  });
});
