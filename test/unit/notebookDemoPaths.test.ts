// `demo:` paths in cells: they resolve to the installed demo folder (in the runner, for the CLI and VS
// Code alike), never leave it, say clearly when no demo folder is known, and outputs keep them as written.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, mkdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CellPathError, demoPathFor, displayCellPath, resolveCellPath } from '../../src/notebook/resolveCellPath';
import { runCell, type NotebookEngine } from '../../src/notebook/runCell';
import { ERROR_MIME, type ErrorPayload } from '../../src/shared/notebookFormat';
import type { TokenMap } from '../../src/shared/tokenMap';

const PNG = Buffer.from('iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==', 'base64');
let root: string;
let demoDir: string;
let notebookDir: string;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'sealens-demo-'));
  demoDir = join(root, 'install', 'media');
  notebookDir = join(root, 'elsewhere', 'notes');
  await mkdir(join(demoDir, 'samples'), { recursive: true });
  await mkdir(notebookDir, { recursive: true });
  await writeFile(join(demoDir, 'samples', 'cat.png'), new Uint8Array(PNG));
});
after(() => rm(root, { recursive: true, force: true }));

test('demo: resolves against the demo folder, plain paths against the notebook folder', () => {
  const paths = { baseDir: '/nb', demoDir: '/install/media' };
  assert.equal(resolveCellPath('demo:samples/cat.png', paths), join('/install/media', 'samples', 'cat.png'));
  assert.equal(resolveCellPath('demo:/samples', paths), join('/install/media', 'samples'));
  assert.equal(resolveCellPath('demo:demo-pack', paths), join('/install/media', 'demo-pack'));
  assert.equal(resolveCellPath('img/cat.png', paths), join('/nb', 'img', 'cat.png'));
  assert.equal(resolveCellPath('/abs/cat.png', paths), '/abs/cat.png');
});

test('EXPECTED FAILURE - a demo: path that climbs out of the demo folder is refused', () => {
  assert.throws(() => resolveCellPath('demo:../../etc/passwd', { baseDir: '/nb', demoDir: '/install/media' }), (e: Error) => e instanceof CellPathError && /leads outside it/.test(e.message));
});

test('EXPECTED FAILURE - demo: without a known demo folder names the problem and the alternative', () => {
  assert.throws(() => resolveCellPath('demo:samples/cat.png', { baseDir: '/nb' }), /demo folder is not known here.*relative to the notebook's folder/);
});

test('display: inside the notebook folder relative, inside the demo folder demo:, else absolute', () => {
  const paths = { baseDir: '/nb', demoDir: '/install/media' };
  assert.equal(displayCellPath('/nb/img/a.png', paths), 'img/a.png');
  assert.equal(displayCellPath('/install/media/samples/a.png', paths), 'demo:samples/a.png');
  assert.equal(displayCellPath('/other/a.png', paths), '/other/a.png');
  assert.equal(displayCellPath('rel/a.png', paths), 'rel/a.png');
});

test('the demo: form of an old sample path (the quick fix for a path that moved)', () => {
  assert.equal(demoPathFor('../samples/test0002.png'), 'demo:samples/test0002.png');
  assert.equal(demoPathFor('/home/u/.vscode/extensions/sea-lens/media/samples'), 'demo:samples');
  assert.equal(demoPathFor('..\\demo-pack'), 'demo:demo-pack');
  assert.equal(demoPathFor('photos/cat.png'), undefined);
  assert.equal(demoPathFor('demo:samples/a.png'), undefined);
  assert.equal(demoPathFor('mysamples/a.png'), undefined);
});

function engine(calls: any[]): NotebookEngine {
  return {
    async request(method, params: any) {
      calls.push({ method, params });
      const tm: TokenMap = { image: params.image, pack: 'p', adapter: 'sea', device: 'cpu', grid: { rows: 1, cols: 1 }, timings: {}, patches: [{ row: 0, col: 0, words: [{ word: 'cat', score: 0.9 }] }] } as any;
      return tm as any;
    },
  };
}

test('the runner reads demo: images from the demo folder and keeps demo: in the output', async () => {
  const calls: any[] = [];
  const r = await runCell('explain demo:samples/cat.png', { engine: engine(calls), baseDir: notebookDir, demoDir, pack: '/p' });
  assert.equal(r.status, 'ok', JSON.stringify(r.outputs));
  assert.equal(calls[0].params.image, join(demoDir, 'samples', 'cat.png'));
  assert.equal((r.outputs[0].data as TokenMap).image, 'demo:samples/cat.png');
  assert.ok(!JSON.stringify(r.outputs[0].data).includes(demoDir), 'no install path in the output');
});

test('EXPECTED FAILURE - a missing demo: image is an error at its column that says where demo: looks', async () => {
  const calls: any[] = [];
  const r = await runCell('explain demo:samples/dog.png', { engine: engine(calls), baseDir: notebookDir, demoDir, pack: '/p' });
  assert.equal(r.status, 'error');
  assert.equal(r.outputs[0].mime, ERROR_MIME);
  assert.match((r.outputs[0].data as ErrorPayload).message, /^line 1, column 9: image not found: demo:samples\/dog\.png \(looked for .*install.*dog\.png\)\. demo: paths are relative to the installed demo folder/);
  assert.equal(calls.length, 0);
});
