// The wizard's epochs / batch size for the dataset picked: several small-batch passes for a handful of images,
// one pass of batch 32 for a real dataset (counted up to 1,000 images, sub-folders included) and for the
// formats that are large by nature (LLaVA JSON, webdataset shards, datasets folders).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { countImages, LARGE_DATASET, LARGE_DEFAULTS, SMALL_DEFAULTS, wizardDefaults } from '../../src/training/wizardDefaults';

test('wizard defaults follow the dataset size; counting stops at the limit', () => {
  const d = mkdtempSync(path.join(tmpdir(), 'sealens-wizard-defaults-'));
  try {
    const small = path.join(d, 'small');
    mkdirSync(small);
    for (let i = 0; i < 12; i++) writeFileSync(path.join(small, `s${i}.png`), '');
    writeFileSync(path.join(small, 's0.txt'), 'a caption is not an image');
    assert.equal(countImages(small), 12);
    assert.deepEqual(wizardDefaults(small), SMALL_DEFAULTS);

    const big = path.join(d, 'big');
    mkdirSync(path.join(big, 'part2'), { recursive: true });
    for (let i = 0; i < 600; i++) writeFileSync(path.join(big, `a${i}.jpg`), '');
    for (let i = 0; i < 600; i++) writeFileSync(path.join(big, 'part2', `b${i}.webp`), '');
    assert.equal(countImages(big), LARGE_DATASET, 'stops counting at the limit');
    assert.equal(countImages(big, 5000), 1200, 'sub-folders count');
    assert.deepEqual(wizardDefaults(big), LARGE_DEFAULTS);

    const shards = path.join(d, 'shards');
    mkdirSync(shards);
    writeFileSync(path.join(shards, 'train-0000.tar'), '');
    assert.deepEqual(wizardDefaults(shards), LARGE_DEFAULTS);
    writeFileSync(path.join(d, 'llava.json'), '[]');
    assert.deepEqual(wizardDefaults(path.join(d, 'llava.json')), LARGE_DEFAULTS);
    assert.deepEqual(wizardDefaults(path.join(d, 'missing')), SMALL_DEFAULTS, 'a path that is gone: the safe small defaults');
  } finally {
    rmSync(d, { recursive: true, force: true });
  }
});
