// `sea-lens notebook run` (in process) on a notebook far from the install that names the shipped samples
// as demo:…: the CLI resolves them to its own media/ folder, stores no install path, says a device
// fallback at most once on stderr and stores it in no output. Skips without the demo pack.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync } from 'node:fs';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { main } from '../../src/cli/cli';
import { ROOT } from '../fixtures/fixturePacks';

const demoPack = join(ROOT, 'media', 'demo-pack', 'manifest.json');
const samples = join(ROOT, 'media', 'samples');

test('sea-lens notebook run: demo: paths from the install, no install path stored, the device note once', {
  skip: existsSync(demoPack) && existsSync(samples) ? false : `demo pack or samples missing (${demoPack}); build them with python3 -m sealens.build_pack (see python/)`,
}, async () => {
  const [a, b] = readdirSync(samples).filter((f) => f.endsWith('.png')).sort();
  const dir = await mkdtemp(join(tmpdir(), 'sealens-nbcli-'));
  try {
    const file = join(dir, 'mine.sealens');
    const cells = [`explain demo:samples/${a}`, `explain demo:samples/${b} adapter=baseline\nwords demo:samples/${a} near "wood"`];
    await writeFile(file, JSON.stringify({ version: 1, cells: cells.map((source) => ({ kind: 'code', source, outputs: [] })) }));
    let out = '', err = '';
    const code = await main(['notebook', 'run', file], { installDir: ROOT, stdout: (s) => (out += s), stderr: (s) => (err += s) });
    assert.equal(code, 0, `${out}\n${err}`);
    const notes = err.split('\n').filter((l) => l.startsWith('note: running on '));
    assert.ok(notes.length <= 1, `the device note is said once, not per image:\n${err}`);
    const text = await readFile(file, 'utf8');
    assert.ok(!text.includes(ROOT), 'no path of the install folder in the executed notebook');
    assert.ok(!/running on \w+: /.test(text), 'no device note stored in an output');
    const saved = JSON.parse(text);
    assert.deepEqual(saved.cells.map((c: any) => c.outputs.length), [1, 2]);
    assert.equal(saved.cells[0].outputs[0].data.image, `demo:samples/${a}`);
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
});
