// `sea-lens explain` with inputs that are not images: a FIFO (reading it would block forever), a folder
// named like an image, a folder without images, a missing file. Each is refused at once, exit 1, with the
// reason on stderr and nothing on stdout (stdout carries TokenMaps only — never `null` or `[]`).
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { main } from '../../src/cli/cli';

const ROOT = path.resolve(__dirname, '..', '..');

async function explain(...args: string[]) {
  let out = '';
  let err = '';
  const t0 = Date.now();
  const code = await main(['explain', ...args], { installDir: ROOT, stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err, ms: Date.now() - t0 };
}

describe('sea-lens explain: inputs that are not images', () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sealens-cli-bad-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('BAD INPUT - a FIFO named x.png: refused without reading it', { skip: process.platform === 'win32' && 'no FIFOs on Windows' }, async () => {
    spawnSync('mkfifo', [path.join(dir, 'fifo.png')]);
    const r = await explain(path.join(dir, 'fifo.png'));
    assert.deepEqual([r.code, r.out], [1, '']);
    assert.match(r.err, /fifo\.png: a named pipe \(FIFO\), not an image file/);
    assert.ok(r.ms < 5000, `took ${r.ms} ms`);
  });

  it('BAD INPUT - a folder named x.png, and a folder without images: errors, not `[]` with exit 0', async () => {
    mkdirSync(path.join(dir, 'dir.png'));
    let r = await explain(path.join(dir, 'dir.png'), '--format', 'json');
    assert.deepEqual([r.code, r.out], [1, '']);
    assert.match(r.err, /dir\.png: folder ".*dir\.png" has no image files \(\.png, \.jpg, \.jpeg, \.webp, \.gif, \.tif, \.tiff, \.avif\)/);
    mkdirSync(path.join(dir, 'notes'));
    writeFileSync(path.join(dir, 'notes', 'a.txt'), 'x');
    mkdirSync(path.join(dir, 'notes', 'b.jpg'));
    r = await explain(path.join(dir, 'notes'));
    assert.deepEqual([r.code, r.out], [1, '']);
    assert.match(r.err, /has no image files/);
  });

  it('BAD INPUT - a missing image: exit 1, the reason on stderr, nothing on stdout (not `null`)', async () => {
    const r = await explain(path.join(dir, 'nope.png'));
    assert.equal(r.code, 1, r.err);
    assert.equal(r.out, '');
    assert.match(r.err, /nope\.png: .*cannot read the image \(ENOENT\)/);
  });
});
