// A run's life in its folder: a trainer that dies without a word (killed mid-line, a missing interpreter)
// leaves the run marked failed with the reason, and "Delete Run" removes finished folders but refuses
// live ones and anything outside .sealens/runs. Real processes and folders; no Python needed.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { createRun, runInfo, RUNS_DIR } from '../../src/training/runFolder';
import { launchTraining } from '../../src/training/launcher';
import { deleteRun, DeleteRunError } from '../../src/training/deleteRun';

const root = path.resolve(__dirname, '..', '..');
const cfg = { formatVersion: 1 as const, pack: path.join(root, 'media', 'demo-pack'), dataset: path.join(root, 'media', 'samples'), outputName: 'x' };

function fakeTrainer(dir: string, body: string): string {
  const file = path.join(dir, 'fake-python.sh');
  writeFileSync(file, `#!/bin/sh\n${body}\n`);
  chmodSync(file, 0o755);
  return file;
}

test('a trainer killed mid-line leaves a failed run with the reason, the half line left apart', { skip: process.platform === 'win32' && 'needs a POSIX shell' }, async () => {
  const ws = mkdtempSync(path.join(tmpdir(), 'sealens-life-'));
  try {
    const r = createRun(ws, cfg, '20261129-100000-x');
    // what a trainer writes before the kernel kills it: one event, then half of the next
    const py = fakeTrainer(ws, `printf '{"event":"phase","phase":"load","message":"m"}\\n{"event":"st' >> "${r.dir}/progress.jsonl"; kill -9 $$`);
    const result = await launchTraining({ python: py, pythonPath: root, configFile: r.configFile, runDir: r.dir }).done;
    assert.equal(result.outcome, 'failed');
    assert.equal(result.signal, 'SIGKILL');
    const info = runInfo(r.dir);
    assert.equal(info.status, 'failed');
    assert.match(info.error!, /trainer exited with SIGKILL without reporting an error/);
    const lines = readFileSync(path.join(r.dir, 'progress.jsonl'), 'utf8').split('\n');
    assert.equal(lines[1], '{"event":"st', 'the half line stays on its own line');
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('a trainer that reports its own error is not overwritten; a missing interpreter marks the run failed', async () => {
  const ws = mkdtempSync(path.join(tmpdir(), 'sealens-life-'));
  try {
    const a = createRun(ws, cfg, '20261129-100000-a');
    const py = fakeTrainer(ws, `echo '{"event":"error","kind":"input","message":"no images in d"}' | tee -a "${a.dir}/progress.jsonl"; exit 2`);
    const ra = await launchTraining({ python: py, pythonPath: root, configFile: a.configFile, runDir: a.dir }).done;
    assert.equal(ra.error, 'no images in d');
    assert.equal(runInfo(a.dir).error, 'no images in d');
    assert.equal(readFileSync(path.join(a.dir, 'progress.jsonl'), 'utf8').trim().split('\n').length, 1);

    const b = createRun(ws, cfg, '20261129-100000-b');
    const rb = await launchTraining({ python: path.join(ws, 'no-such-python'), pythonPath: root, configFile: b.configFile, runDir: b.dir }).done;
    assert.equal(rb.outcome, 'failed');
    const info = runInfo(b.dir);
    assert.equal(info.status, 'failed', 'before: "new" forever (waiting for the trainer)');
    assert.match(info.error!, /could not start .*no-such-python: .*ENOENT/);
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('Delete Run removes a finished run folder', () => {
  const ws = mkdtempSync(path.join(tmpdir(), 'sealens-life-'));
  try {
    const r = createRun(ws, cfg, '20261129-100000-x');
    mkdirSync(path.join(r.dir, 'pack', 'adapters'), { recursive: true });
    writeFileSync(path.join(r.dir, 'pack', 'adapters', 'x.onnx'), 'weights');
    deleteRun(ws, r.dir);
    assert.equal(existsSync(r.dir), false);
    assert.equal(existsSync(path.join(ws, RUNS_DIR)), true, 'the runs folder itself stays');
  } finally {
    rmSync(ws, { recursive: true, force: true });
  }
});

test('BAD CALL - Delete Run refuses a live run, another host\'s lock, a link and folders outside .sealens/runs', async () => {
  const ws = mkdtempSync(path.join(tmpdir(), 'sealens-life-'));
  const sleeper = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  try {
    const live = createRun(ws, cfg, '20261129-100000-live');
    writeFileSync(path.join(live.dir, 'run.lock'), JSON.stringify({ pid: sleeper.pid, host: hostname() }));
    assert.throws(() => deleteRun(ws, live.dir), (e: Error) => e instanceof DeleteRunError && /a trainer \(pid \d+\) is running in this folder; cancel it first/.test(e.message));
    assert.equal(existsSync(live.dir), true);

    const remote = createRun(ws, cfg, '20261129-100000-remote');
    writeFileSync(path.join(remote.dir, 'run.lock'), JSON.stringify({ pid: 4242, host: 'gpu-node-17' }));
    assert.throws(() => deleteRun(ws, remote.dir), /a trainer on host gpu-node-17 \(pid 4242\) holds run\.lock/);

    assert.throws(() => deleteRun(ws, path.join(ws, 'elsewhere')), /is not a run folder of .*\.sealens.runs/);
    assert.throws(() => deleteRun(ws, path.join(ws, RUNS_DIR)), /is not a run folder/);
    assert.throws(() => deleteRun(ws, path.join(ws, RUNS_DIR, '20261129-gone')), /does not exist/);

    const target = mkdtempSync(path.join(tmpdir(), 'sealens-target-'));
    writeFileSync(path.join(target, 'keep.txt'), 'keep');
    const link = path.join(ws, RUNS_DIR, '20261129-100000-link');
    symlinkSync(target, link);
    assert.throws(() => deleteRun(ws, link), /is not a plain folder/);
    assert.equal(existsSync(path.join(target, 'keep.txt')), true);
    rmSync(target, { recursive: true, force: true });

    // once the trainer has gone (stale lock), the folder can be deleted
    sleeper.kill('SIGKILL');
    await new Promise((r) => sleeper.once('exit', r));
    deleteRun(ws, live.dir);
    assert.equal(existsSync(live.dir), false);
  } finally {
    sleeper.kill('SIGKILL');
    rmSync(ws, { recursive: true, force: true });
  }
});
