// `sea-lens train` exits with the trainer's documented codes (docs/training.md) when the launch itself is
// refused: 2 for an unknown start adapter (checked before Python starts), 5 for a run folder in use.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { trainCommand } from '../../src/cli/commands/train';
import { TRAINER_EXIT } from '../../src/shared/trainingProtocol';

const ROOT = path.resolve(__dirname, '..', '..');

async function train(config: Record<string, unknown>, prepare: (runDir: string) => void = () => undefined) {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sealens-train-exit-'));
  try {
    const configFile = path.join(dir, 'config.json');
    writeFileSync(configFile, JSON.stringify({
      formatVersion: 1, pack: path.join(ROOT, 'media', 'demo-pack'), dataset: path.join(ROOT, 'media', 'samples'), outputName: 'x', ...config,
    }));
    const runDir = path.join(dir, 'run');
    mkdirSync(runDir);
    prepare(runDir);
    let out = '';
    let err = '';
    const code = await trainCommand.run(['--config', configFile, '--run-dir', runDir, '--python', '/usr/bin/python3'], {
      installDir: ROOT, stdout: (s) => (out += s), stderr: (s) => (err += s),
    });
    return { code, out, err };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('BAD INPUT - unknown startAdapter: exit 2 before the trainer starts, naming the pack\'s adapters', async () => {
  const r = await train({ startAdapter: 'no-such-adapter' });
  assert.equal(r.code, TRAINER_EXIT.input, r.err);
  assert.match(r.err, /startAdapter: the pack .*demo-pack has no adapter named "no-such-adapter" \(it has "sea", "baseline"\)/);
  assert.doesNotMatch(r.out + r.err, /Traceback/);
});

test('BAD CALL - a run folder in use by a live process: exit 5 (busy), as documented', async () => {
  const r = await train({}, (runDir) => writeFileSync(path.join(runDir, 'run.lock'), String(process.pid)));
  assert.equal(r.code, TRAINER_EXIT.busy, r.err);
  assert.match(r.err, /is already using this run folder/);
});

test('BAD INPUT - a run config that is a FIFO: refused at once (exit 2), not a blocked read', { skip: process.platform === 'win32' && 'no FIFOs on Windows' }, async () => {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sealens-train-fifo-'));
  try {
    spawnSync('mkfifo', [path.join(dir, 'config.json')]);
    let err = '';
    const code = await trainCommand.run(['--config', path.join(dir, 'config.json'), '--run-dir', path.join(dir, 'run')], { installDir: ROOT, stdout: () => undefined, stderr: (s) => (err += s) });
    assert.equal(code, TRAINER_EXIT.input, err);
    assert.match(err, /config\.json: not a regular file/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
