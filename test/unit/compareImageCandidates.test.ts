// The compare view's "Choose Image…" list: which images, in which order, each once; and the images of a
// run's dataset read the way the trainer reads them (folder with sub-folders, .json list, .jsonl lines).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { compareImageCandidates, datasetImages } from '../../src/extension/training/compareImageCandidates';

const p = (...parts: string[]): string => path.resolve('/data', ...parts);

test('groups in order: evaluation images, dataset, workspace; each path once, in the first group naming it', () => {
  const out = compareImageCandidates({
    evaluationImages: [p('val', 'a.png'), p('val', 'b.jpg')],
    evaluatedOn: 'validation',
    datasetImages: [p('val', 'a.png'), p('train', 'c.webp')],
    workspaceImages: [p('train', 'c.webp'), p('ws', 'd.tiff')],
  });
  assert.deepEqual(out.map((c) => [path.basename(c.path), c.source]), [['a.png', 'validation'], ['b.jpg', 'validation'], ['c.webp', 'dataset'], ['d.tiff', 'workspace']]);
  assert.ok(out.every((c) => !c.current));
});

test('the image shown now leads the list, marked current, whichever group holds it', () => {
  const out = compareImageCandidates({ current: p('ws', 'd.png'), evaluationImages: [p('a.png')], workspaceImages: [p('ws', 'x.png'), p('ws', 'd.png')] });
  assert.deepEqual(out.map((c) => [path.basename(c.path), c.source, c.current]), [['d.png', 'workspace', true], ['a.png', 'validation', false], ['x.png', 'workspace', false]]);
  // relative and unnormalised spellings of the same file are one entry
  const same = compareImageCandidates({ current: '/data/ws/../ws/d.png', workspaceImages: ['/data/ws/d.png', '/data/ws/./d.png'] });
  assert.equal(same.length, 1);
  assert.equal(same[0].current, true);
});

test('a run without a validation split labels its evaluation images as training images', () => {
  const out = compareImageCandidates({ evaluationImages: [p('a.png')], evaluatedOn: 'training images' });
  assert.equal(out[0].source, 'training');
});

test('only the formats SEA Lens decodes are offered; the list is capped', () => {
  const out = compareImageCandidates({ workspaceImages: [p('a.bmp'), p('b.txt'), p('c.PNG'), p('d.avif'), p('e.gif')], max: 2 });
  assert.deepEqual(out.map((c) => path.basename(c.path)), ['c.PNG', 'd.avif']);
  assert.deepEqual(compareImageCandidates({}), []);
});

test('datasetImages: a folder with sub-folders (sorted), a .json list with imageFolder, .jsonl lines; a broken dataset gives none', () => {
  const dir = mkdtempSync(path.join(tmpdir(), 'sealens-candidates-'));
  try {
    const imgs = path.join(dir, 'imgs');
    mkdirSync(path.join(imgs, 'sub'), { recursive: true });
    for (const f of ['b.png', 'a.jpg', 'notes.txt', path.join('sub', 'c.webp')]) writeFileSync(path.join(imgs, f), 'x');
    const cfg = (name: string, body: object): string => {
      const file = path.join(dir, name);
      writeFileSync(file, JSON.stringify({ formatVersion: 1, pack: 'pack', outputName: 'out', ...body }));
      return file;
    };
    assert.deepEqual(datasetImages(cfg('folder.json', { dataset: 'imgs' })), ['a.jpg', 'b.png', path.join('sub', 'c.webp')].map((f) => path.join(imgs, f)));
    assert.deepEqual(datasetImages(cfg('folder-cap.json', { dataset: 'imgs' }), 1), [path.join(imgs, 'a.jpg')]);
    writeFileSync(path.join(dir, 'list.json'), JSON.stringify([{ image: 'b.png', caption: 'x' }, { caption: 'no image' }, { image: 'doc.pdf' }, { image: 'sub/c.webp' }]));
    assert.deepEqual(datasetImages(cfg('list-cfg.json', { dataset: 'list.json', imageFolder: 'imgs' })), [path.join(imgs, 'b.png'), path.join(imgs, 'sub', 'c.webp')]);
    writeFileSync(path.join(dir, 'lines.jsonl'), `{"image": "imgs/a.jpg"}\nnot json\n\n{"image": "imgs/b.png"}\n`);
    assert.deepEqual(datasetImages(cfg('lines-cfg.json', { dataset: 'lines.jsonl' })), [path.join(imgs, 'a.jpg'), path.join(imgs, 'b.png')]);
    assert.deepEqual(datasetImages(cfg('missing.json', { dataset: 'nowhere' })), []);
    assert.deepEqual(datasetImages(path.join(dir, 'no-config.json')), []);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
