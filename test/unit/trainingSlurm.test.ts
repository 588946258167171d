// The exported Slurm script: its torchrun line and quoting, checked by running the script in bash with
// `srun` and `scontrol` replaced by recorders on PATH (the script is the thing under test; the recorders
// only stand in for the cluster), plus the CLI twin `sea-lens train --slurm`.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { shellQuote, slurmScript, SlurmOptionsError } from '../../src/training/slurmScript';
import { trainCommand } from '../../src/cli/commands/train';

const root = path.resolve(__dirname, '..', '..');
const bash = ['/bin/bash', '/usr/bin/bash'].find((b) => existsSync(b));

/** Runs the script with recorders for srun/scontrol; returns srun's argv and environment as seen by it. */
function runScript(script: string, dir: string): { argv: string[]; pythonPath: string } {
  const bin = path.join(dir, 'bin');
  mkdirSync(bin, { recursive: true });
  // srun records each argument NUL-terminated, exactly as it received it
  writeFileSync(path.join(bin, 'srun'), `#!/bin/bash\nprintf '%s\\0' "$@" > "${dir}/srun.argv"\nprintf '%s' "$PYTHONPATH" > "${dir}/srun.pythonpath"\n`);
  // a long node list: a script that stops reading after the first line would see scontrol die of SIGPIPE
  writeFileSync(path.join(bin, 'scontrol'), '#!/bin/bash\nprintf "gpu-node-07\\ngpu-node-08\\n"\nfor i in $(seq 1 20000); do echo "gpu-node-x$i"; done\n');
  chmodSync(path.join(bin, 'srun'), 0o755);
  chmodSync(path.join(bin, 'scontrol'), 0o755);
  const file = path.join(dir, 'job.sbatch');
  writeFileSync(file, script);
  const r = spawnSync(bash!, [file], { env: { PATH: `${bin}:/usr/bin:/bin`, SLURM_JOB_NODELIST: 'gpu-node-[07-08]', SLURM_JOB_ID: '4242' }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const argv = readFileSync(path.join(dir, 'srun.argv'), 'utf8').split('\0').slice(0, -1);
  return { argv, pythonPath: readFileSync(path.join(dir, 'srun.pythonpath'), 'utf8') };
}

test('Slurm script: torchrun line with nodes, processes per node, rendezvous on the first node, same config', { skip: bash ? false : 'SKIPPED: no bash to run the generated script' }, () => {
  const d = mkdtempSync(path.join(tmpdir(), 'sealens-slurm-'));
  // a hostile path: blanks, both quotes, $, backticks, a glob and a newline must all reach Python unchanged
  const nasty = path.join(d, `my runs/it's "$HOME" \`id\` *\nx`);
  const configFile = path.join(nasty, 'config.json');
  const runDir = path.join(nasty, 'run');
  const script = slurmScript({ configFile, runDir, pythonPath: path.join(d, 'py path'), nodes: 2, gpusPerNode: 4, outDir: path.join(d, 'o u t') });
  assert.match(script, /^#SBATCH --nodes=2$/m);
  assert.match(script, /^#SBATCH --gpus-per-node=4$/m);
  assert.match(script, /^#SBATCH --ntasks-per-node=1$/m);
  assert.match(script, /^#SBATCH --output=sealens-train-%j\.out$/m, 'a run folder with blanks cannot go into an #SBATCH line');
  const { argv, pythonPath } = runScript(script, d);
  assert.deepEqual(argv, [
    '--ntasks-per-node=1', 'python3', '-m', 'torch.distributed.run', '--nnodes=2', '--nproc_per_node=4',
    '--rdzv_id=4242', '--rdzv_backend=c10d', '--rdzv_endpoint=gpu-node-07:29500',
    '-m', 'sealens.runner', '--config', configFile, '--run-dir', runDir, '--out', path.join(d, 'o u t'),
  ]);
  assert.equal(pythonPath, path.join(d, 'py path'));
  assert.ok(existsSync(runDir), 'the script creates the run folder');
});

test('Slurm script: CPU-only (0 GPUs) runs one process per node and asks for no GPUs', { skip: bash ? false : 'SKIPPED: no bash' }, () => {
  const d = mkdtempSync(path.join(tmpdir(), 'sealens-slurm-'));
  const script = slurmScript({ configFile: path.join(d, 'c.json'), runDir: path.join(d, 'run'), pythonPath: d, nodes: 3, gpusPerNode: 0, python: '/opt/py/bin/python' });
  assert.doesNotMatch(script, /--gpus-per-node/);
  assert.match(script, new RegExp(`^#SBATCH --output=${path.join(d, 'run')}/slurm-%j\\.out$`, 'm'));
  const { argv } = runScript(script, d);
  assert.deepEqual(argv.slice(1, 6), ['/opt/py/bin/python', '-m', 'torch.distributed.run', '--nnodes=3', '--nproc_per_node=1']);
});

test('BAD CALL - Slurm options: counts and relative paths are refused with the value', () => {
  const ok = { configFile: '/c.json', runDir: '/r', pythonPath: '/p', nodes: 2, gpusPerNode: 1 };
  assert.throws(() => slurmScript({ ...ok, nodes: 0 }), (e: Error) => e instanceof SlurmOptionsError && /--nodes must be an integer from 1 to 4096 \(got 0\)/.test(e.message));
  assert.throws(() => slurmScript({ ...ok, gpusPerNode: 1.5 }), /--gpus-per-node must be an integer from 0 .*got 1\.5/);
  assert.throws(() => slurmScript({ ...ok, configFile: 'rel/c.json' }), /config path must be absolute .*rel\/c\.json/);
  assert.throws(() => shellQuote('a\0b'), /NUL/);
  assert.equal(shellQuote(`it's`), `'it'\\''s'`);
});

test('sea-lens train --slurm: writes the script for the config; bad counts and configs are usage errors', async () => {
  const d = mkdtempSync(path.join(tmpdir(), 'sealens-slurm-cli-'));
  const cfg = path.join(d, 'cfg.json');
  writeFileSync(cfg, JSON.stringify({ formatVersion: 1, pack: 'pack', dataset: 'images', outputName: 'ft' }));
  const out: string[] = [];
  const err: string[] = [];
  const ctx = { installDir: root, stdout: (s: string) => void out.push(s), stderr: (s: string) => void err.push(s) };
  const file = path.join(d, 'job.sbatch');
  assert.equal(await trainCommand.run(['--config', cfg, '--slurm', file, '--nodes', '4', '--gpus-per-node', '8', '--run-dir', path.join(d, 'run')], ctx), 0, err.join(''));
  const text = readFileSync(file, 'utf8');
  assert.match(text, /--nnodes=4 --nproc_per_node=8 /);
  assert.match(text, new RegExp(`^CONFIG='${cfg}'$`, 'm'));
  assert.match(text, /^#SBATCH --job-name=sealens-ft$/m);
  assert.match(out.join(''), /sbatch /);
  assert.equal(await trainCommand.run(['--config', cfg, '--slurm', file, '--nodes', 'two'], ctx), 2);
  assert.match(err.join(''), /--nodes must be a whole number \(got "two"\)/);
  assert.equal(await trainCommand.run(['--config', cfg, '--slurm', file, '--gpus-per-node', '5000'], ctx), 2);
  assert.match(err.join(''), /--gpus-per-node must be an integer from 0 to 4096 \(got 5000\)/);
  assert.equal(await trainCommand.run(['--config', cfg, '--nodes', '2'], ctx), 2);
  assert.match(err.join(''), /--nodes and --gpus-per-node only apply with --slurm/);
  writeFileSync(cfg, JSON.stringify({ formatVersion: 1, pack: 'pack', dataset: 'images', outputName: 'ft', batchSize: 1 }));
  assert.equal(await trainCommand.run(['--config', cfg, '--slurm', file], ctx), 2);
  assert.match(err.join(''), /cfg\.json: batchSize: must be an integer ≥ 2 \(got 1\)/);
});
