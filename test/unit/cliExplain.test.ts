// The CLI in-process: exit codes, JSON/PNG/HTML output, failures reported per image, the demo report.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { before, describe, it } from 'node:test';
import sharp from 'sharp';
import { main } from '../../src/cli/cli';
import type { TokenMap } from '../../src/shared/tokenMap';
import { ROOT, fixturePacks } from '../fixtures/fixturePacks';

const fx = fixturePacks();
const TMP = path.join(ROOT, '.test-artifacts', 'cli-tests');
const PACK = path.join(fx.dir ?? '', 'clip');

async function run(...argv: string[]) {
  let out = '', err = '';
  const code = await main(argv, { installDir: TMP, stdout: (s) => (out += s), stderr: (s) => (err += s) });
  return { code, out, err };
}

describe('sea-lens CLI', () => {
  before(async () => {
    rmSync(TMP, { recursive: true, force: true });
    mkdirSync(path.join(TMP, 'imgs'), { recursive: true });
    await sharp({ create: { width: 48, height: 40, channels: 3, background: '#a52' } }).png().toFile(path.join(TMP, 'imgs', 'one.png'));
    await sharp({ create: { width: 40, height: 40, channels: 3, background: '#25a' } }).png().toFile(path.join(TMP, 'imgs', 'two.png'));
  });

  it('USAGE - no command → help on stdout, exit 2; --help → exit 0', async () => {
    const r = await run();
    assert.equal(r.code, 2);
    assert.match(r.out, /Usage: sea-lens <command>/);
    assert.equal((await run('--help')).code, 0);
    assert.match((await run('explain', '--help')).out, /--top-k K/);
  });

  it('USAGE - unknown command / bad option values → exit 2 with the reason', async () => {
    assert.match((await run('frobnicate')).err, /unknown command "frobnicate"/);
    const r = await run('explain', 'x.png', '--format', 'gif');
    assert.equal(r.code, 2);
    assert.match(r.err, /--format must be json, png or html, got "gif"/);
    assert.match((await run('explain', 'x.png', '--device', 'tpu')).err, /unknown device "tpu"; valid choices/);
    assert.equal((await run('explain', 'x.png', '--bogus')).code, 2);
  });

  it('explain IMAGE → one TokenMap as JSON on stdout, exit 0', { skip: fx.skip }, async () => {
    const r = await run('explain', path.join(TMP, 'imgs', 'one.png'), '--pack', PACK, '--top-k', '3', '--device', 'cpu');
    assert.equal(r.code, 0, r.err);
    const m = JSON.parse(r.out) as TokenMap;
    assert.equal(m.patches.length, 16);
    assert.equal(m.patches[0].words.length, 3);
  });

  it('explain FOLDER --format png/html --out → one file per image; PNG is a real PNG at ≥ 448 px', { skip: fx.skip }, async () => {
    const out = path.join(TMP, 'out');
    assert.equal((await run('explain', path.join(TMP, 'imgs'), '--pack', PACK, '--format', 'png', '--out', out, '--device', 'cpu')).code, 0);
    const meta = await sharp(path.join(out, 'one.overlay.png')).metadata();
    assert.equal(meta.format, 'png');
    assert.ok(meta.height! >= 448);
    assert.equal((await run('explain', path.join(TMP, 'imgs', 'two.png'), '--pack', PACK, '--format', 'html', '--out', out, '--device', 'cpu')).code, 0);
    const html = readFileSync(path.join(out, 'two.html'), 'utf8');
    assert.match(html, /default-src 'none'/);
    assert.match(html, /<img src="data:image\/png;base64,/);
    assert.equal((html.match(/<rect /g) ?? []).length, 16);
  });

  it('BAD INPUT - one broken image among good ones → others still explained, exit 1, stderr names the file', { skip: fx.skip }, async () => {
    writeFileSync(path.join(TMP, 'broken.png'), 'not an image');
    const r = await run('explain', path.join(TMP, 'imgs', 'one.png'), path.join(TMP, 'broken.png'), '--pack', PACK, '--device', 'cpu');
    assert.equal(r.code, 1);
    assert.match(r.err, /broken\.png: not an image SEA Lens can read \(its bytes are none of \.png, .*\); convert it to PNG/);
    assert.equal((JSON.parse(r.out) as TokenMap[]).length, 1);
  });

  it('BAD INPUT - demo without a demo pack → exit 1 and says what is missing', async () => {
    const r = await run('demo', '--out', path.join(TMP, 'report'));
    assert.equal(r.code, 1);
    assert.match(r.err, /no demo pack at .*demo-pack \(manifest\.json missing\)/);
  });

  it('demo → self-contained HTML report for every adapter, accuracy where truth exists, summary table', { skip: fx.skip }, async () => {
    writeFileSync(path.join(TMP, 'imgs', 'one.truth.json'), JSON.stringify({ labels: new Array(16).fill('cat') }));
    const report = path.join(TMP, 'report');
    const r = await run('demo', '--pack', PACK, '--samples', path.join(TMP, 'imgs'), '--out', report, '--device', 'cpu');
    assert.equal(r.code, 0, r.err);
    assert.match(r.out, /^adapter\s+images\s+accuracy\s+bg\s+colour\s+shape\s+object\s+balanced \(rank R\)\s+median ms\nsea\s+2\s+\d+\.\d %(\s+\d+\.\d%){4}\s+\d+\.\d% \(\d+\.\d%\)/m);
    assert.match(r.out, /\nbase\s+2 /);
    const html = readFileSync(path.join(report, 'index.html'), 'utf8');
    assert.ok(existsSync(path.join(report, 'index.html')));
    assert.equal((html.match(/<figure>/g) ?? []).length, 4);
    assert.doesNotMatch(html, /src="(?!data:)/, 'no external resources');
  });
});
