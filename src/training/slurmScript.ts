// The sbatch file behind "SEA Lens: Export Slurm Script…" and `sea-lens train --slurm OUT.sbatch`.
//
// One srun task per process (nodes × processes per node); each task runs `python -m sealens.runner.launch
// --slurm`, which maps Slurm's SLURM_PROCID / SLURM_LOCALID / SLURM_NTASKS to torch's RANK / LOCAL_RANK /
// WORLD_SIZE and execs the trainer. No torchrun: torch 1.13's `torch.distributed.run` dies on Python 3.11
// before starting any worker (its redirect option parses to None), and Slurm already starts one process
// per rank. The rendezvous is torch's env:// store on the batch node (the allocation's first node) at a
// port found free there when the job starts, never a fixed one (two jobs on one node would collide).
//
// Preemption: `--signal=B:USR1@120` makes Slurm signal the batch shell two minutes before the time limit;
// the shell forwards it to the ranks (they checkpoint at the next step and exit 4), then requeues the
// job (`--requeue`), and the requeued job resumes from that checkpoint. A cancelled or checkpointed job
// exits 0 so that sacct never shows FAILED for it; real failures keep the trainer's exit code.
//
// No path of the machine that wrote the script is in it: the run folder is the submit folder (or
// $SEALENS_RUN_DIR), config and output are relative to it, the interpreter is $SEALENS_PYTHON (default
// python3) and the sealens package comes from $SEALENS_PYTHONPATH or the interpreter's own site-packages.
//
// Other paths are single-quoted for the shell, so spaces, quotes, `$` or backticks can never turn into
// shell syntax.

import path from 'node:path';
import type { SlurmResources, TrainDevice } from '../shared/trainingProtocol';

export interface SlurmOptions {
  /** Absolute path of the run config (written into the script relative to runDir). */
  configFile: string;
  /** Absolute run folder; must be on a file system every node sees (checkpoints, feature cache, lock). */
  runDir: string;
  nodes: number;
  /** GPUs (= processes) per node; 0 trains on CPUs with one process per node. */
  gpusPerNode: number;
  /** The run config's device: a CPU run asking for GPUs (or the reverse) is refused. */
  device?: TrainDevice;
  outDir?: string;
  jobName?: string;
  /** Interpreter on the cluster; default `python3`, overridable at submit time with $SEALENS_PYTHON. */
  python?: string;
  resources?: SlurmResources;
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

// #SBATCH lines are not shell-parsed: values must be single tokens in Slurm's own syntax.
const RESOURCE_RULES: Record<keyof SlurmResources, { flag: string; re: RegExp; allowed: string }> = {
  time: { flag: 'time', re: /^(\d+-)?\d+(:\d{1,2}){0,2}$/, allowed: 'Slurm time like 90, 4:00:00 or 2-12:00:00' },
  mem: { flag: 'mem', re: /^\d+[KMGT]?$/, allowed: 'memory per node like 64G or 16000M' },
  partition: { flag: 'partition', re: /^[A-Za-z0-9._,-]+$/, allowed: 'partition name(s) of letters, digits, . _ , -' },
  account: { flag: 'account', re: /^[A-Za-z0-9._-]+$/, allowed: 'an account name of letters, digits, . _ -' },
  cpusPerTask: { flag: 'cpus-per-task', re: /^[1-9]\d{0,3}$/, allowed: 'an integer from 1 to 9999' },
};

export function resourceLines(r: SlurmResources = {}): string[] {
  const lines: string[] = [];
  for (const [k, rule] of Object.entries(RESOURCE_RULES) as [keyof SlurmResources, (typeof RESOURCE_RULES)[keyof SlurmResources]][]) {
    const v = r[k];
    if (v === undefined || v === null) continue;
    if (!rule.re.test(String(v))) throw new SlurmOptionsError(`--${rule.flag} must be ${rule.allowed} (got ${JSON.stringify(v)})`);
    lines.push(`#SBATCH --${rule.flag}=${v}`);
  }
  return lines;
}

/** A path relative to the run folder, for the script (POSIX separators: the cluster runs Linux). */
function fromRun(runDir: string, p: string): string {
  const rel = path.relative(runDir, p);
  return (rel === '' ? '.' : rel).split(path.sep).join('/');
}

export function slurmScript(o: SlurmOptions): string {
  checkCount('--nodes', o.nodes, 1);
  checkCount('--gpus-per-node', o.gpusPerNode, 0);
  if (o.device === 'cpu' && o.gpusPerNode > 0) {
    throw new SlurmOptionsError(`the run config trains on the CPU (device "cpu") but --gpus-per-node ${o.gpusPerNode} asks for GPUs; use --gpus-per-node 0, or set "device" to "cuda" or "auto"`);
  }
  if (o.device === 'cuda' && o.gpusPerNode === 0) {
    throw new SlurmOptionsError('the run config trains on CUDA (device "cuda") but --gpus-per-node 0 asks for no GPU; give the GPUs per node, or set "device" to "cpu"');
  }
  for (const [k, p] of [['config', o.configFile], ['run folder', o.runDir], ...(o.outDir ? [['output', o.outDir]] : [])] as const) {
    if (!path.isAbsolute(p)) throw new SlurmOptionsError(`the ${k} path must be absolute (got ${p})`);
  }
  const nproc = Math.max(1, o.gpusPerNode);
  const job = (o.jobName ?? `sealens-${path.basename(o.runDir)}`).replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 64);
  const py = o.python ? o.python.replace(/["\\$`]/g, '\\$&') : 'python3';
  const lines = [
    '#!/bin/bash',
    `# SEA Lens: SEA fine-tuning of ${path.basename(o.configFile).replace(/[\r\n]/g, ' ')} on ${o.nodes} node(s) × ${nproc} process(es).`,
    '# Submit from the run folder (`cd RUN && sbatch FILE`) or set SEALENS_RUN_DIR; it must be on a file system',
    '# shared by all nodes: rank 0 writes the feature cache, checkpoints and progress.jsonl there. Set',
    '# SEALENS_PYTHON (default python3) and SEALENS_PYTHONPATH (the python/ folder of SEA Lens) when the',
    '# cluster needs them. Resubmitting resumes from the last checkpoint; near the time limit the job',
    '# checkpoints and requeues itself. Sampling is per global batch (docs/training.md), so the result',
    '# equals a one-process run with the same batchSize.',
    `#SBATCH --job-name=${job}`,
    `#SBATCH --nodes=${o.nodes}`,
    `#SBATCH --ntasks-per-node=${nproc}`,
    ...(o.gpusPerNode > 0 ? [`#SBATCH --gpus-per-node=${o.gpusPerNode}`] : []),
    ...resourceLines(o.resources),
    '#SBATCH --signal=B:USR1@120',
    '#SBATCH --requeue',
    '#SBATCH --open-mode=append',
    '#SBATCH --output=slurm-%j.out',
    'set -uo pipefail',
    '',
    'RUN_DIR="${SEALENS_RUN_DIR:-${SLURM_SUBMIT_DIR:-$PWD}}"',
    'cd "$RUN_DIR" || { echo "sealens: cannot enter the run folder $RUN_DIR (submit from it, or set SEALENS_RUN_DIR)" >&2; exit 2; }',
    `CONFIG=${shellQuote(fromRun(o.runDir, o.configFile))}`,
    '[ -f "$CONFIG" ] || { echo "sealens: $RUN_DIR/$CONFIG not found: submit from the run folder or set SEALENS_RUN_DIR to it" >&2; exit 2; }',
    ...(o.outDir ? [`OUT_DIR=${shellQuote(fromRun(o.runDir, o.outDir))}`] : []),
    `PYTHON="\${SEALENS_PYTHON:-${py}}"`,
    'if [ -n "${SEALENS_PYTHONPATH:-}" ]; then export PYTHONPATH="$SEALENS_PYTHONPATH${PYTHONPATH:+:$PYTHONPATH}"; fi',
    'export PYTHONUNBUFFERED=1',
    '',
    '# Before queueing work on every node: the interpreter, its PyTorch range and the sealens package.',
    'if ! "$PYTHON" -c "import sealens.runner.launch" 2>/dev/null; then',
    '  echo "sealens: $PYTHON cannot import the sealens package: set SEALENS_PYTHONPATH to the python/ folder of a SEA Lens installation the nodes can read, or SEALENS_PYTHON to another interpreter" >&2',
    '  exit 6',
    'fi',
    '"$PYTHON" -m sealens.runner.launch --check || exit 6',
    '',
    '# The batch shell runs on the allocation\'s first node, which hosts the rendezvous. (sed reads the whole',
    '# list: `head -n 1` could close the pipe early and scontrol would die of SIGPIPE.)',
    'MASTER_ADDR="$(scontrol show hostnames "$SLURM_JOB_NODELIST" | sed -n 1p)"',
    'MASTER_PORT="$("$PYTHON" -m sealens.runner.launch --free-port)" || exit 1',
    'export MASTER_ADDR MASTER_PORT',
    '',
    'SELF_REQUEUE=0',
    'SRUN_PID=',
    '# USR1: the time limit is 120 s away. Ask every rank to checkpoint (the signal, and the cancel file that',
    '# rank 0 reads and broadcasts in case a launcher in between does not pass signals on), then requeue.',
    'on_usr1() { SELF_REQUEUE=1; echo "sealens: time limit near: checkpointing, then requeueing job ${SLURM_JOB_ID:-}" >&2; : > "$RUN_DIR/cancel"; [ -n "$SRUN_PID" ] && kill -USR1 "$SRUN_PID" 2>/dev/null; }',
    'on_term() { [ -n "$SRUN_PID" ] && kill -TERM "$SRUN_PID" 2>/dev/null; }',
    'trap on_usr1 USR1',
    'trap on_term TERM INT',
    '',
    [
      'srun --kill-on-bad-exit=1 "$PYTHON" -m sealens.runner.launch --slurm --',
      '--config "$CONFIG" --run-dir "$RUN_DIR"', ...(o.outDir ? ['--out "$OUT_DIR"'] : []), '&',
    ].join(' '),
    'SRUN_PID=$!',
    '# `wait` returns early when a trapped signal arrives; keep waiting until srun itself has ended.',
    'while :; do wait "$SRUN_PID"; CODE=$?; kill -0 "$SRUN_PID" 2>/dev/null || break; done',
    '',
    '# Trainer exit codes (docs/training.md): 0 done, 4 stopped with a checkpoint, others are failures.',
    'if [ "$CODE" -eq 4 ]; then',
    '  if [ "$SELF_REQUEUE" = 1 ] && scontrol requeue "$SLURM_JOB_ID"; then',
    '    echo "sealens: checkpoint written; job $SLURM_JOB_ID requeued, it resumes from that checkpoint" >&2',
    '  else',
    '    echo "sealens: stopped with a checkpoint (cancelled or preempted); a requeued job resumes from it, or submit this script again" >&2',
    '  fi',
    '  exit 0',
    'fi',
    'exit "$CODE"',
    '',
  ];
  return lines.join('\n');
}
