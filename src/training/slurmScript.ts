// The sbatch file behind "SEA Lens: Export Slurm Script…" and `sea-lens train --slurm OUT.sbatch`: one
// srun task per node, each starting torchrun with N nodes × G processes that meet at a c10d rendezvous on
// the job's first node, all running the same run config. Every path is single-quoted for the shell, so
// spaces, quotes, `$` or backticks in a path can never turn into shell syntax.
//
// torchrun's options are written with underscores (--nproc_per_node, --rdzv_endpoint, …): PyTorch 1.x
// accepts only those spellings, 2.x accepts them as well as the dashed ones.

import path from 'node:path';

export const RDZV_PORT = 29500;

export interface SlurmOptions {
  /** Absolute path of the run config (the same file every rank reads). */
  configFile: string;
  /** Absolute run folder; must be on a file system every node sees (checkpoints, feature cache, lock). */
  runDir: string;
  /** Folder holding the `sealens` package. */
  pythonPath: string;
  nodes: number;
  /** GPUs (= processes) per node; 0 trains on CPUs with one process per node. */
  gpusPerNode: number;
  outDir?: string;
  jobName?: string;
  /** Interpreter on the cluster; default `python3`, overridable at submit time with $SEALENS_PYTHON. */
  python?: string;
}

export class SlurmOptionsError extends Error {}

/** POSIX shell single quoting: the result is always exactly one word with the given text. */
export function shellQuote(s: string): string {
  if (s.includes('\0')) throw new SlurmOptionsError('a path contains a NUL character, which no shell can pass on');
  return `'${s.replace(/'/g, `'\\''`)}'`;
}

function checkCount(name: string, v: number, min: number): void {
  if (!Number.isInteger(v) || v < min || v > 4096) throw new SlurmOptionsError(`${name} must be an integer from ${min} to 4096 (got ${v})`);
}

export function slurmScript(o: SlurmOptions): string {
  checkCount('--nodes', o.nodes, 1);
  checkCount('--gpus-per-node', o.gpusPerNode, 0);
  for (const [k, p] of [['config', o.configFile], ['run folder', o.runDir], ['python path', o.pythonPath]] as const) {
    if (!path.isAbsolute(p)) throw new SlurmOptionsError(`the ${k} path must be absolute for a cluster job (got ${p})`);
  }
  const nproc = Math.max(1, o.gpusPerNode);
  const job = (o.jobName ?? `sealens-${path.basename(o.runDir)}`).replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64);
  const runner = ['-m', 'sealens.runner', '--config', '"$CONFIG"', '--run-dir', '"$RUN_DIR"', ...(o.outDir ? ['--out', '"$OUT_DIR"'] : [])];
  const lines = [
    '#!/bin/bash',
    `# SEA Lens: SEA fine-tuning of ${path.basename(o.configFile).replace(/[\r\n]/g, ' ')} on ${o.nodes} node(s) × ${nproc} process(es).`,
    '# Submit with `sbatch FILE`. The run folder must be on a file system shared by all nodes: rank 0 writes the',
    '# feature cache, checkpoints and progress.jsonl there and the other ranks read the cache. Resubmitting',
    '# resumes from the last checkpoint. Sampling and de-dup are per global batch (docs/training.md), so the',
    '# result equals a one-process run with the same batchSize.',
    `#SBATCH --job-name=${job}`,
    `#SBATCH --nodes=${o.nodes}`,
    '#SBATCH --ntasks-per-node=1',
    ...(o.gpusPerNode > 0 ? [`#SBATCH --gpus-per-node=${o.gpusPerNode}`] : []),
    // #SBATCH lines are not shell-parsed: a run folder with blanks or quotes keeps Slurm's default log place
    `#SBATCH --output=${/^[^\s%'"\\]+$/.test(o.runDir) ? `${o.runDir}/slurm-%j.out` : 'sealens-train-%j.out'}`,
    'set -euo pipefail',
    '',
    `CONFIG=${shellQuote(o.configFile)}`,
    `RUN_DIR=${shellQuote(o.runDir)}`,
    ...(o.outDir ? [`OUT_DIR=${shellQuote(o.outDir)}`] : []),
    `PYTHON="\${SEALENS_PYTHON:-${o.python ? o.python.replace(/["\\$`]/g, '\\$&') : 'python3'}}"`,
    `export PYTHONPATH=${shellQuote(o.pythonPath)}"\${PYTHONPATH:+:$PYTHONPATH}"`,
    'export PYTHONUNBUFFERED=1',
    '',
    '# The first node of the allocation hosts the rendezvous. (sed reads the whole list: `head -n 1` could',
    '# close the pipe early, and under pipefail scontrol\'s SIGPIPE would fail the job.)',
    'HEAD_NODE="$(scontrol show hostnames "$SLURM_JOB_NODELIST" | sed -n 1p)"',
    'mkdir -p "$RUN_DIR"',
    '',
    [
      'srun --ntasks-per-node=1 "$PYTHON" -m torch.distributed.run',
      `--nnodes=${o.nodes}`, `--nproc_per_node=${nproc}`,
      '--rdzv_id="$SLURM_JOB_ID"', '--rdzv_backend=c10d', `--rdzv_endpoint="$HEAD_NODE:${RDZV_PORT}"`,
      ...runner,
    ].join(' '),
    '',
  ];
  return lines.join('\n');
}
