// The exported Slurm script on a real one-node Slurm (Debian's slurm-wlm + munge, started by
// test/slurm/localCluster.sh under a temp folder): the time-limit signal (`scancel --batch --signal=USR1`,
// what `--signal=B:USR1@120` sends) checkpoints and requeues; the requeued job resumes from that checkpoint
// by itself; an administrator's `scontrol requeue` (preemption) checkpoints too and the job comes back and
// resumes again; no start shows FAILED. Skips, saying why, without root, Slurm's daemons or a PyTorch Python.
// Slurm holds a requeued job (Reason=BeginTime) for its credential lifetime before it may start again;
// the test cluster sets it to 5 s (AuthInfo cred_expire=5, default 120 s) so the test stays under 2 min.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { slurmScript } from '../../src/training/slurmScript';

const root = path.resolve(__dirname, '..', '..');
const PYTHON = process.env.SEALENS_PYTHON ?? '/usr/bin/python3';
const PYPATH = path.join(root, 'python');
const DAEMONS = ['/usr/sbin/slurmctld', '/usr/sbin/slurmd', '/usr/sbin/munged', '/usr/bin/sbatch'];

function whySkip(): string | false {
  const missing = DAEMONS.filter((f) => !existsSync(f));
  if (missing.length) return `SKIPPED: no Slurm here (${missing.join(', ')} missing; Debian: apt-get install slurm-wlm munge)`;
  if (process.getuid?.() !== 0) return 'SKIPPED: starting slurmctld/slurmd for the test needs root';
  if (spawnSync(PYTHON, ['-c', 'import torch, onnx, PIL']).status !== 0) return `SKIPPED: ${PYTHON} cannot import torch, onnx and PIL — set SEALENS_PYTHON`;
  return false;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

test('real Slurm: USR1 before the time limit → checkpoint + self-requeue → resume; scontrol requeue (preemption) → checkpoint → resume; never FAILED', { skip: whySkip(), timeout: 150_000 }, async () => {
  const d = mkdtempSync(path.join(tmpdir(), 'sealens-slurm-real-'));
  const cluster = path.join(d, 'cluster');
  const up = spawnSync(path.join(root, 'test/slurm/localCluster.sh'), ['start', cluster], { encoding: 'utf8', timeout: 40_000 });
  const env = { ...process.env, SLURM_CONF: path.join(cluster, 'slurm.conf') };
  let id: string | undefined;
  try {
    assert.equal(up.status, 0, `the local Slurm did not start: ${up.stdout}${up.stderr}`);
    const sh = (cmd: string, args: string[]): string => {
      const r = spawnSync(cmd, args, { env, encoding: 'utf8', cwd: runDir });
      assert.equal(r.status, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
      return r.stdout;
    };
    const b = spawnSync(PYTHON, ['-m', 'sealens.runner.tinypack', d], { env: { ...process.env, PYTHONPATH: PYPATH }, encoding: 'utf8' });
    assert.equal(b.status, 0, b.stderr);
    const runDir = path.join(d, 'run');
    mkdirSync(runDir);
    const configFile = path.join(runDir, 'config.json');
    writeFileSync(configFile, JSON.stringify({ formatVersion: 1, pack: '../pack', dataset: '../images', outputName: 'ft', device: 'cpu', epochs: 3000, batchSize: 4, validationImages: 2, checkpointEvery: 5 }));
    writeFileSync(path.join(runDir, 'train.sbatch'), slurmScript({ configFile, runDir, nodes: 1, gpusPerNode: 0, device: 'cpu', resources: { time: '10', cpusPerTask: 1 } }));
    const progress = (): { event: string; step?: number; resumedFrom?: number | null }[] =>
      (existsSync(path.join(runDir, 'progress.jsonl')) ? readFileSync(path.join(runDir, 'progress.jsonl'), 'utf8') : '').split('\n').filter(Boolean).map((l) => JSON.parse(l));
    const job = (): Record<string, string> => Object.fromEntries(sh('scontrol', ['show', 'job', id ?? '']).split(/\s+/).filter((x) => x.includes('=')).map((x) => [x.slice(0, x.indexOf('=')), x.slice(x.indexOf('=') + 1)]));
    const until = async (what: string, ok: () => boolean, ms = 40_000): Promise<void> => {
      const t0 = Date.now();
      while (!ok()) {
        if (Date.now() - t0 > ms) assert.fail(`${what} did not happen in ${ms / 1000} s; job: ${JSON.stringify(job())}; log: ${readFileSync(path.join(runDir, `slurm-${id}.out`), 'utf8').slice(-1500)}`);
        await sleep(250);
      }
    };
    const steps = (): number => progress().filter((e) => e.event === 'step').length;
    const cancels = (): { step?: number }[] => progress().filter((e) => e.event === 'cancelled');
    const starts = (): { resumedFrom?: number | null }[] => progress().filter((e) => e.event === 'start');

    id = sh('sbatch', ['--parsable', '--export', `ALL,SEALENS_PYTHON=${PYTHON},SEALENS_PYTHONPATH=${PYPATH}`, 'train.sbatch']).trim().split(';')[0];
    await until('training steps', () => steps() >= 10);
    sh('scancel', ['--batch', '--signal=USR1', id]); // what --signal=B:USR1@120 sends before the time limit
    await until('the checkpoint and the self-requeue', () => cancels().length === 1 && job().Restarts === '1');
    assert.notEqual(job().JobState, 'FAILED');
    await until('the requeued job resuming', () => starts().length === 2, 60_000);
    assert.equal(starts()[1].resumedFrom, cancels()[0].step, 'the requeued job resumes from the checkpoint the signal wrote');

    const before = steps();
    await until('more steps', () => steps() >= before + 5);
    sh('scontrol', ['requeue', id]); // preemption by the administrator: SIGTERM, then Slurm requeues
    await until('the preemption checkpoint', () => cancels().length === 2 && job().Restarts === '2');
    assert.equal(job().ExitCode, '0:0', 'a checkpointed stop is not a failure');
    await until('the second resume', () => starts().length === 3, 60_000);
    assert.equal(starts()[2].resumedFrom, cancels()[1].step);
    sh('scancel', [id]);
    await until('the cancel', () => job().JobState === 'CANCELLED');
    const log = readFileSync(path.join(runDir, `slurm-${id}.out`), 'utf8');
    assert.match(log, /checkpoint written; job \d+ requeued/);
    assert.doesNotMatch(log, /Traceback/);
  } finally {
    // end the job before the daemons: a step left without its slurmd would outlive the test
    if (id) {
      spawnSync('scancel', [id], { env });
      for (let i = 0; i < 60 && /JobState=(RUNNING|COMPLETING|PENDING)/.test(spawnSync('scontrol', ['show', 'job', id], { env, encoding: 'utf8' }).stdout ?? ''); i++) await sleep(250);
    }
    spawnSync(path.join(root, 'test/slurm/localCluster.sh'), ['stop', cluster]);
  }
});
