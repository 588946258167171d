// The exported Slurm script, run by bash with `srun` and `scontrol` replaced by stand-ins on PATH (the
// script is the thing under test; the stand-ins only play the cluster): srun's argv, the rendezvous
// variables, exit-code mapping, and — with the real trainer on a tiny pack — USR1 → checkpoint →
// self-requeue → resume. The same scenario on a real one-node Slurm is in trainingSlurmReal.test.ts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname, tmpdir } from 'node:os';
import path from 'node:path';
import { resourceLines, shellQuote, slurmScript, SlurmOptionsError } from '../../src/training/slurmScript';
import { trainCommand } from '../../src/cli/commands/train';
import { RunBusyError, runLock } from '../../src/training/runFolder';
import { launchTraining } from '../../src/training/launcher';

const root = path.resolve(__dirname, '..', '..');
const bash = ['/bin/bash', '/usr/bin/bash'].find((b) => existsSync(b));
const PYTHON = process.env.SEALENS_PYTHON ?? '/usr/bin/python3';
const PYPATH = path.join(root, 'python');

function pythonWithTorch(): string | undefined {
  if (!bash) return 'SKIPPED: no bash to run the generated script';
  const r = spawnSync(PYTHON, ['-c', 'import torch, onnx, PIL'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `SKIPPED: ${PYTHON} cannot import torch, onnx and PIL — set SEALENS_PYTHON`;
}

/** srun stand-in: records argv + rendezvous env, then either exits with $FAKE_SRUN_CODE or runs the task as rank 0 of 1. */
function fakeCluster(dir: string): string {
  const bin = path.join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  writeFileSync(path.join(bin, 'srun'), [
    '#!/bin/bash',
    `printf '%s\\0' "$@" > "${dir}/srun.argv"`,
    `printf '%s %s %s' "$MASTER_ADDR" "$MASTER_PORT" "$PYTHONPATH" > "${dir}/srun.env"`,
    'if [ -n "${FAKE_SRUN_CODE:-}" ]; then exit "$FAKE_SRUN_CODE"; fi',
    'while [ "${1#--}" != "$1" ]; do shift; done   # srun options',
    'export SLURM_PROCID=0 SLURM_LOCALID=0 SLURM_NTASKS=1 SLURM_JOB_NUM_NODES=1',
    'exec "$@"',
    '',
  ].join('\n'));
  // a long node list: a script that stops reading after the first line would see scontrol die of SIGPIPE
  writeFileSync(path.join(bin, 'scontrol'), [
    '#!/bin/bash',
    `if [ "$1" = requeue ]; then echo "$2" >> "${dir}/requeued"; exit 0; fi`,
    'printf "node-07\\nnode-08\\n"; for i in $(seq 1 20000); do echo "node-x$i"; done',
    '',
  ].join('\n'));
  chmodSync(path.join(bin, 'srun'), 0o755);
  chmodSync(path.join(bin, 'scontrol'), 0o755);
  return bin;
}

function slurmEnv(dir: string, runDir: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { PATH: `${fakeCluster(dir)}:/usr/bin:/bin`, SLURM_JOB_NODELIST: 'node-[07-08]', SLURM_JOB_ID: '4242', SLURM_SUBMIT_DIR: runDir,
    SEALENS_PYTHON: PYTHON, SEALENS_PYTHONPATH: PYPATH, HOME: dir, ...extra };
}

test('Slurm script: srun runs one rank per process through sealens.runner.launch, paths relative to the run folder, nothing of this machine in it', { skip: pythonWithTorch() }, () => {
  const d = mkdtempSync(path.join(tmpdir(), 'sealens-slurm-'));
  // a hostile path: blanks, both quotes, $, backticks, a glob and a newline must all reach Python unchanged
  const runDir = path.join(d, `my runs/it's "$HOME" \`id\` *\nx`);
  mkdirSync(runDir, { recursive: true });
  const configFile = path.join(runDir, `c o'n.json`);
  writeFileSync(configFile, '{}');
  const script = slurmScript({ configFile, runDir, nodes: 2, gpusPerNode: 4, outDir: path.join(runDir, 'o u t'), resources: { time: '4:00:00', mem: '64G', partition: 'gpu', account: 'proj-1', cpusPerTask: 8 } });
  for (const line of ['--nodes=2', '--ntasks-per-node=4', '--gpus-per-node=4', '--time=4:00:00', '--mem=64G', '--partition=gpu', '--account=proj-1', '--cpus-per-task=8', '--signal=B:USR1@120', '--requeue', '--output=slurm-%j.out']) {
    assert.match(script, new RegExp(`^#SBATCH ${line.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}$`, 'm'));
  }
  assert.ok(!script.includes(d) && !script.includes(root) && !script.includes(tmpdir()), 'no path of this machine is baked into the script');
  assert.doesNotMatch(script, /torch\.distributed\.run|29500/);
  const file = path.join(d, 'job.sbatch');
  writeFileSync(file, script);
  const r = spawnSync(bash!, [file], { env: slurmEnv(d, runDir, { FAKE_SRUN_CODE: '0' }), encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const argv = readFileSync(path.join(d, 'srun.argv'), 'utf8').split('\0').slice(0, -1);
  assert.deepEqual(argv, ['--kill-on-bad-exit=1', PYTHON, '-m', 'sealens.runner.launch', '--slurm', '--', '--config', `c o'n.json`, '--run-dir', runDir, '--out', 'o u t']);
  const [addr, port, pp] = readFileSync(path.join(d, 'srun.env'), 'utf8').split(' ');
  assert.equal(addr, 'node-07', 'the rendezvous is on the first node of the allocation');
  assert.ok(+port > 0 && +port < 65536 && port !== '29500', `a free port, not a fixed one (got ${port})`);
  assert.equal(pp, PYPATH);
});

test('Slurm script: exit codes Slurm reads — a checkpointed stop (4) is 0, failures keep their code; a missing package or run folder is named', { skip: pythonWithTorch() }, () => {
  const d = mkdtempSync(path.join(tmpdir(), 'sealens-slurm-'));
  const runDir = path.join(d, 'run');
  mkdirSync(runDir);
  writeFileSync(path.join(runDir, 'config.json'), '{}');
  const file = path.join(d, 'job.sbatch');
  writeFileSync(file, slurmScript({ configFile: path.join(runDir, 'config.json'), runDir, nodes: 1, gpusPerNode: 0, device: 'cpu' }));
  const run = (extra: Record<string, string>) => spawnSync(bash!, [file], { env: slurmEnv(d, runDir, extra), encoding: 'utf8' });
  let r = run({ FAKE_SRUN_CODE: '4' });
  assert.equal(r.status, 0, 'a cancelled or preempted job (trainer exit 4, checkpoint written) must not show FAILED');
  assert.match(r.stderr, /stopped with a checkpoint/);
  assert.ok(!existsSync(path.join(d, 'requeued')), 'without the time-limit signal the script does not requeue itself');
  assert.equal(run({ FAKE_SRUN_CODE: '2' }).status, 2);
  assert.equal(run({ FAKE_SRUN_CODE: '1' }).status, 1);
  r = run({ SEALENS_PYTHONPATH: path.join(d, 'nowhere') });
  assert.equal(r.status, 6);
  assert.match(r.stderr, /cannot import the sealens package: set SEALENS_PYTHONPATH/);
  r = run({ SLURM_SUBMIT_DIR: d, FAKE_SRUN_CODE: '0' });
  assert.equal(r.status, 2);
  assert.match(r.stderr, /config\.json not found: submit from the run folder or set SEALENS_RUN_DIR/);
  assert.equal(run({ SLURM_SUBMIT_DIR: d, SEALENS_RUN_DIR: runDir, FAKE_SRUN_CODE: '0' }).status, 0, 'SEALENS_RUN_DIR names the run folder');
});

test('Slurm script with the real trainer: USR1 (time limit near) → checkpoint → exit 0 + scontrol requeue; the requeued job resumes', { skip: pythonWithTorch(), timeout: 120_000 }, async () => {
  const d = mkdtempSync(path.join(tmpdir(), 'sealens-slurm-run-'));
  const b = spawnSync(PYTHON, ['-m', 'sealens.runner.tinypack', d], { env: { ...process.env, PYTHONPATH: PYPATH }, encoding: 'utf8' });
  assert.equal(b.status, 0, b.stderr);
  const runDir = path.join(d, 'run');
  mkdirSync(runDir);
  const configFile = path.join(runDir, 'config.json');
  writeFileSync(configFile, JSON.stringify({ formatVersion: 1, pack: '../pack', dataset: '../images', outputName: 'ft', device: 'cpu', epochs: 3000, batchSize: 4, validationImages: 2, checkpointEvery: 5 }));
  const file = path.join(runDir, 'train.sbatch');
  writeFileSync(file, slurmScript({ configFile, runDir, nodes: 1, gpusPerNode: 0, device: 'cpu' }));
  const progress = (): string => (existsSync(path.join(runDir, 'progress.jsonl')) ? readFileSync(path.join(runDir, 'progress.jsonl'), 'utf8') : '');
  const job = spawn(bash!, [file], { env: slurmEnv(d, runDir), stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  job.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
  const exited = new Promise<number | null>((resolve) => job.once('close', (c) => resolve(c)));
  const t0 = Date.now();
  while (!/"event": "step", "step": 12,/.test(progress())) {
    assert.ok(Date.now() - t0 < 60_000, `no training steps after 60 s: ${stderr}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  job.kill('SIGUSR1'); // what `#SBATCH --signal=B:USR1@120` sends to the batch shell
  assert.equal(await exited, 0, stderr);
  assert.equal(readFileSync(path.join(d, 'requeued'), 'utf8').trim(), '4242', 'the job requeues itself');
  const cancelled = progress().split('\n').filter((l) => l.includes('"cancelled"')).map((l) => JSON.parse(l) as { step: number });
  assert.equal(cancelled.length, 1, stderr);
  assert.ok(!existsSync(path.join(runDir, 'run.lock')), 'the lock is released');
  // the requeued start: same job, and it resumes from that checkpoint (stopped right after it starts)
  const again = spawn(bash!, [file], { env: slurmEnv(d, runDir), stdio: 'ignore' });
  const again2 = new Promise<number | null>((resolve) => again.once('close', (c) => resolve(c)));
  while (!/"resumedFrom": \d+/.test(progress())) await new Promise((r) => setTimeout(r, 100));
  const start = progress().split('\n').filter((l) => l.includes('"start"')).map((l) => JSON.parse(l) as { resumedFrom: number | null });
  assert.equal(start[start.length - 1].resumedFrom, cancelled[0].step);
  again.kill('SIGTERM'); // scancel / preemption: checkpoint, exit 0, no self-requeue
  assert.equal(await again2, 0);
  assert.equal(readFileSync(path.join(d, 'requeued'), 'utf8').trim(), '4242', 'SIGTERM does not requeue (Slurm does that itself when it preempts)');
});

test('BAD CALL - Slurm options: counts, relative paths, CPU config with GPUs, bad resource values are refused with the value', () => {
  const ok = { configFile: '/r/c.json', runDir: '/r', nodes: 2, gpusPerNode: 1 };
  assert.throws(() => slurmScript({ ...ok, nodes: 0 }), (e: Error) => e instanceof SlurmOptionsError && /--nodes must be an integer from 1 to 4096 \(got 0\)/.test(e.message));
  assert.throws(() => slurmScript({ ...ok, gpusPerNode: 1.5 }), /--gpus-per-node must be an integer from 0 .*got 1\.5/);
  assert.throws(() => slurmScript({ ...ok, configFile: 'rel/c.json' }), /config path must be absolute .*rel\/c\.json/);
  assert.throws(() => slurmScript({ ...ok, device: 'cpu', gpusPerNode: 4 }), /device "cpu".*--gpus-per-node 4 asks for GPUs; use --gpus-per-node 0/);
  assert.throws(() => slurmScript({ ...ok, device: 'cuda', gpusPerNode: 0 }), /device "cuda".*--gpus-per-node 0/);
  assert.throws(() => resourceLines({ time: '4 hours' }), /--time must be Slurm time .*got "4 hours"/);
  assert.throws(() => resourceLines({ mem: '64G\n#SBATCH --x' }), /--mem must be memory/);
  assert.throws(() => resourceLines({ partition: 'a b' }), /--partition/);
  assert.throws(() => resourceLines({ cpusPerTask: 0 }), /--cpus-per-task must be an integer from 1/);
  assert.deepEqual(resourceLines({ time: '2-12:00:00', cpusPerTask: 4 }), ['#SBATCH --time=2-12:00:00', '#SBATCH --cpus-per-task=4']);
  assert.throws(() => shellQuote('a\0b'), /NUL/);
  assert.equal(shellQuote(`it's`), `'it'\\''s'`);
});

test('sea-lens train --slurm: resources from the config, flags override; bad counts, CPU+GPU and configs are usage errors', async () => {
  const d = mkdtempSync(path.join(tmpdir(), 'sealens-slurm-cli-'));
  const cfg = path.join(d, 'cfg.json');
  writeFileSync(cfg, JSON.stringify({ formatVersion: 1, pack: 'pack', dataset: 'images', outputName: 'ft', slurm: { time: '1:00:00', partition: 'gpu', nodes: 3 } }));
  const out: string[] = [];
  const err: string[] = [];
  const ctx = { installDir: root, stdout: (s: string) => void out.push(s), stderr: (s: string) => void err.push(s) };
  const file = path.join(d, 'job.sbatch');
  assert.equal(await trainCommand.run(['--config', cfg, '--slurm', file, '--gpus-per-node', '8', '--time', '2:00:00', '--mem', '32G', '--run-dir', d], ctx), 0, err.join(''));
  const text = readFileSync(file, 'utf8');
  assert.match(text, /^#SBATCH --nodes=3$/m);
  assert.match(text, /^#SBATCH --ntasks-per-node=8$/m);
  assert.match(text, /^#SBATCH --time=2:00:00$/m);
  assert.match(text, /^#SBATCH --partition=gpu$/m);
  assert.match(text, /^#SBATCH --mem=32G$/m);
  assert.match(text, /^CONFIG='cfg\.json'$/m);
  assert.match(text, /^#SBATCH --job-name=sealens-ft$/m);
  assert.match(out.join(''), /sbatch .*SEALENS_PYTHONPATH=/s);
  assert.equal(await trainCommand.run(['--config', cfg, '--slurm', file, '--nodes', 'two'], ctx), 2);
  assert.match(err.join(''), /--nodes must be a whole number \(got "two"\)/);
  assert.equal(await trainCommand.run(['--config', cfg, '--slurm', file, '--gpus-per-node', '5000'], ctx), 2);
  assert.match(err.join(''), /--gpus-per-node must be an integer from 0 to 4096 \(got 5000\)/);
  assert.equal(await trainCommand.run(['--config', cfg, '--slurm', file, '--time', 'soon'], ctx), 2);
  assert.match(err.join(''), /--time must be Slurm time/);
  assert.equal(await trainCommand.run(['--config', cfg, '--nodes', '2'], ctx), 2);
  assert.match(err.join(''), /--nodes only apply with --slurm/);
  assert.equal(await trainCommand.run(['--config', cfg, '--partition', 'x'], ctx), 2);
  assert.match(err.join(''), /--partition only apply with --slurm/);
  writeFileSync(cfg, JSON.stringify({ formatVersion: 1, pack: 'pack', dataset: 'images', outputName: 'ft', device: 'cpu' }));
  assert.equal(await trainCommand.run(['--config', cfg, '--slurm', file, '--gpus-per-node', '2'], ctx), 2);
  assert.match(err.join(''), /device "cpu"\) but --gpus-per-node 2 asks for GPUs/);
  assert.equal(await trainCommand.run(['--config', cfg, '--slurm', file, '--nodes', '1'], ctx), 0, 'a CPU config defaults to 0 GPUs');
  assert.doesNotMatch(readFileSync(file, 'utf8'), /--gpus-per-node/);
  writeFileSync(cfg, JSON.stringify({ formatVersion: 1, pack: 'pack', dataset: 'images', outputName: 'ft', slurm: { qos: 'high' } }));
  assert.equal(await trainCommand.run(['--config', cfg, '--slurm', file], ctx), 2);
  assert.match(err.join(''), /cfg\.json: slurm: must be an object with some of time, mem/);
  writeFileSync(cfg, JSON.stringify({ formatVersion: 1, pack: 'pack', dataset: 'images', outputName: 'ft', batchSize: 1 }));
  assert.equal(await trainCommand.run(['--config', cfg, '--slurm', file], ctx), 2);
  assert.match(err.join(''), /cfg\.json: batchSize: must be an integer ≥ 2 \(got 1\)/);
});

test('run lock: host-aware — a lock of another host is busy (not judged by a local pid), a dead local pid is stale, the old bare-pid lock is read', () => {
  const d = mkdtempSync(path.join(tmpdir(), 'sealens-lock-'));
  const lock = path.join(d, 'run.lock');
  writeFileSync(lock, JSON.stringify({ pid: 999999999, host: 'gpu-node-07', slurmJobId: '17' }));
  assert.deepEqual(runLock(d), { pid: 999999999, host: 'gpu-node-07' });
  assert.throws(() => launchTraining({ python: PYTHON, pythonPath: PYPATH, configFile: path.join(d, 'c.json'), runDir: d }),
    (e: Error) => e instanceof RunBusyError && /held by pid 999999999 on host gpu-node-07.*delete .*run\.lock/.test(e.message));
  writeFileSync(lock, JSON.stringify({ pid: 999999999, host: hostname(), slurmJobId: null }));
  assert.equal(runLock(d), undefined, 'a dead pid of this host is a stale lock');
  writeFileSync(lock, JSON.stringify({ pid: process.pid, host: hostname() }));
  assert.deepEqual(runLock(d), { pid: process.pid });
  writeFileSync(lock, String(process.pid));
  assert.deepEqual(runLock(d), { pid: process.pid }, 'a bare pid (older trainers) is a lock of this host');
  writeFileSync(lock, '{garbage');
  assert.equal(runLock(d), undefined);
});
