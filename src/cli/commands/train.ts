// sea-lens train: fine-tunes an adapter with SEA from a run config, through the same launcher the
// extension uses; prints progress and the before/after table; exit 0 when the adapter was exported.

import { mkdirSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EXIT, type CliCommand, type CliContext } from '../command';
import { launchTraining } from '../../training/launcher';
import { PythonError, TRAINING_NEED, trainerPythonPath } from '../../training/pythonInterpreter';
import { describeDiscovery, discoverPython, pythonCandidates } from '../../training/pythonDiscovery';
import { readRunConfig, RunConfigError } from '../../training/runConfig';
import { slurmScript, SlurmOptionsError } from '../../training/slurmScript';
import { RunBusyError } from '../../training/runFolder';
import { TRAINER_EXIT, type Metrics, type ProgressEvent, type SlurmResources } from '../../shared/trainingProtocol';

const fmt = (v: number | null | undefined, d = 3): string => (typeof v === 'number' ? v.toFixed(d) : '–');

export function progressLine(e: ProgressEvent): string | undefined {
  switch (e.event) {
    case 'environment':
      return `trainer: Python ${e.python}, torch ${e.torch}${e.cuda ? ' (CUDA available)' : ''}${e.transformers ? `, transformers ${e.transformers}` : ''}`;
    case 'start':
      return `training: ${e.totalSteps} steps, ${e.trainImages} images (+${e.validationImages} validation, ${e.skippedImages} skipped), device ${e.device}, ${e.worldSize} process(es)${e.resumedFrom ? `, resumed from step ${e.resumedFrom}` : ''}`;
    case 'step':
      return `step ${e.step}/${e.totalSteps}  loss ${fmt(e.loss, 4)}  L_g ${fmt(e.lossG, 4)}  L_a ${fmt(e.lossA, 4)}  τ ${fmt(e.tau, 4)}  lr ${e.lr.toExponential(2)}  ${fmt(e.imagesPerSecond, 1)} images/s`;
    case 'validation':
      return e.agreement === null ? undefined : `validation label agreement ${(e.agreement * 100).toFixed(1)} % (step ${e.step})`;
    case 'warning':
      return `warning: ${e.message}`;
    case 'phase':
      return `${e.phase}: ${e.message}`;
    case 'cancelled':
      return `cancelled at step ${e.step}; checkpoint ${e.checkpoint} (run again to resume)`;
    case 'error':
      return `error: ${e.message}`;
    default:
      return undefined;
  }
}

export function metricsTable(before: Metrics, after: Metrics): string {
  const rows: [string, keyof Metrics, number][] = [['patch-word accuracy', 'patchWordAccuracy', 3], ['CLIP-label agreement', 'labelAgreement', 3], ['modality gap D', 'modalityGap', 3], ['TACS', 'tacs', 3]];
  return ['metric'.padEnd(22) + 'before'.padStart(9) + 'after'.padStart(9), ...rows.map(([n, k, d]) => n.padEnd(22) + fmt(before[k] as number, d).padStart(9) + fmt(after[k] as number, d).padStart(9))].join('\n');
}

/** A config error says where the fields are described; every other error as it is. */
function configMessage(e: unknown): string {
  const message = (e as Error).message;
  return e instanceof RunConfigError && !/docs\//.test(message) ? `${message} — fix the config file (its fields and their ranges: docs/training.md)` : message;
}

const RESOURCE_FLAGS = { time: 'time', mem: 'mem', partition: 'partition', account: 'account', 'cpus-per-task': 'cpusPerTask' } as const;

function writeSlurm(out: string, configFile: string, runDir: string, v: Record<string, string | undefined>, ctx: CliContext): number {
  try {
    const cfg = readRunConfig(configFile); // a broken config fails here, not hours later in the queue
    const fromCfg = cfg.slurm ?? {};
    const count = (name: string, def: number): number => {
      const raw = v[name];
      if (raw === undefined) return def;
      if (!/^\d+$/.test(raw)) throw new SlurmOptionsError(`--${name} must be a whole number (got ${JSON.stringify(raw)})`);
      return parseInt(raw, 10);
    };
    // CLI flags override the run config's "slurm" section
    const resources: SlurmResources = { ...fromCfg };
    for (const [flag, key] of Object.entries(RESOURCE_FLAGS)) {
      const raw = v[flag];
      if (raw !== undefined) (resources as Record<string, unknown>)[key] = key === 'cpusPerTask' && /^\d+$/.test(raw) ? parseInt(raw, 10) : raw;
    }
    delete (resources as Record<string, unknown>).nodes;
    delete (resources as Record<string, unknown>).gpusPerNode;
    const file = path.resolve(out);
    const text = slurmScript({
      configFile, runDir, nodes: count('nodes', fromCfg.nodes ?? 2), gpusPerNode: count('gpus-per-node', fromCfg.gpusPerNode ?? (cfg.device === 'cpu' ? 0 : 1)),
      device: cfg.device, outDir: v.out ? path.resolve(v.out) : undefined, jobName: `sealens-${cfg.outputName}`, python: v.python, resources,
    });
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, text, { mode: 0o755 });
    ctx.stdout(`wrote ${file}\nsubmit it from the run folder (on a file system all nodes share): cd ${runDir} && sbatch ${file}\n` +
      `the nodes need the sealens package: SEALENS_PYTHONPATH=${trainerPythonPath(ctx.installDir)} (or a copy they can read), and SEALENS_PYTHON if python3 is not the interpreter with PyTorch\n`);
    return EXIT.ok;
  } catch (e) {
    ctx.stderr(`sea-lens train: ${configMessage(e)}\n`);
    return e instanceof RunConfigError || e instanceof SlurmOptionsError ? EXIT.usage : EXIT.failed;
  }
}

export const trainCommand: CliCommand = {
  name: 'train',
  summary: 'fine-tune an adapter with SEA from a run config (needs Python with PyTorch)',
  help: `Usage: sea-lens train --config FILE [--out DIR] [--run-dir DIR] [--python EXE] [--nproc-per-node N] [--threads N]
       sea-lens train --config FILE --slurm OUT.sbatch [--nodes N] [--gpus-per-node G] [--run-dir DIR] [--out DIR]
                      [--time T] [--mem M] [--partition P] [--account A] [--cpus-per-task C]

Runs the SEA fine-tuning described by FILE (docs/training.md; example: media/examples/train-quick.json).
Progress is printed as it happens. On success the adapter lands in DIR (default RUN/out) as
adapter.safetensors (LLaVA keys model.mm_projector.{0,2}.{weight,bias}) and adapter.onnx, a pack overlay
with the new adapter is written to RUN/pack, and a before/after table is printed.
  --run-dir DIR   run folder (checkpoints, progress.jsonl, summary.json); default .sealens/runs/<config name>.
                  Running again into the same folder resumes from its last checkpoint.
  --python EXE    interpreter; needs torch ≥ 1.13 and onnx. Default: $SEALENS_PYTHON, else the first of
                  .venv of the SEA Lens folder, $CONDA_PREFIX, python3, python, /usr/bin/python3 that has
                  them (the output says which, and why the others were skipped; see sea-lens doctor).
  --slurm FILE    write an sbatch script for a multi-node run of the same config instead of training:
                  srun starts N nodes (--nodes, default 2) × G processes (--gpus-per-node, default 1, 0 for
                  a CPU config: one process per node); --time, --mem, --partition, --account and
                  --cpus-per-task become #SBATCH lines (defaults from the config's "slurm" section). Submit it
                  from the run folder, which must be on a file system all nodes share. Near the time limit
                  the job checkpoints and requeues itself; the requeued job resumes.
Exit codes (the trainer's, docs/training.md): 0 done, 1 failed, 2 bad input, 3 disk full, 4 cancelled
(Ctrl+C writes a checkpoint), 5 run folder busy (another run uses it), 6 the interpreter cannot run the
trainer (the message says what to install).`,
  async run(argv, ctx) {
    let values;
    try {
      ({ values } = parseArgs({ args: argv, options: {
        config: { type: 'string' }, out: { type: 'string' }, 'run-dir': { type: 'string' }, python: { type: 'string' }, 'nproc-per-node': { type: 'string' }, threads: { type: 'string' },
        slurm: { type: 'string' }, nodes: { type: 'string' }, 'gpus-per-node': { type: 'string' },
        time: { type: 'string' }, mem: { type: 'string' }, partition: { type: 'string' }, account: { type: 'string' }, 'cpus-per-task': { type: 'string' },
      } }));
    } catch (e) {
      ctx.stderr(`sea-lens train: ${(e as Error).message}\n`);
      return EXIT.usage;
    }
    if (!values.config) {
      ctx.stderr('sea-lens train: --config FILE is required (see sea-lens train --help)\n');
      return EXIT.usage;
    }
    const configFile = path.resolve(values.config);
    const nproc = values['nproc-per-node'] ? parseInt(values['nproc-per-node'], 10) : 1;
    if (!Number.isInteger(nproc) || nproc < 1) {
      ctx.stderr(`sea-lens train: --nproc-per-node must be an integer ≥ 1 (got ${values['nproc-per-node']})\n`);
      return EXIT.usage;
    }
    const runDir = path.resolve(values['run-dir'] ?? path.join('.sealens', 'runs', path.basename(configFile, '.json')));
    if (values.slurm) return writeSlurm(values.slurm, configFile, runDir, values, ctx);
    const slurmOnly = ['nodes', 'gpus-per-node', ...Object.keys(RESOURCE_FLAGS)].filter((k) => (values as Record<string, unknown>)[k] !== undefined);
    if (slurmOnly.length) {
      ctx.stderr(`sea-lens train: ${slurmOnly.map((k) => `--${k}`).join(', ')} only apply with --slurm FILE (on one machine use --nproc-per-node)\n`);
      return EXIT.usage;
    }
    try {
      const found = await discoverPython(pythonCandidates({ explicit: values.python ? { executable: values.python, source: 'flag' } : undefined, projectDirs: [ctx.installDir] }), TRAINING_NEED);
      const py = found.info;
      ctx.stdout(`${describeDiscovery(found).join('\n')}\nrun folder ${runDir}\n`);
      const run = launchTraining({
        python: py.executable, pythonPath: trainerPythonPath(ctx.installDir), configFile, runDir,
        outDir: values.out ? path.resolve(values.out) : undefined, nprocPerNode: nproc,
        threads: values.threads ? parseInt(values.threads, 10) : undefined,
        onEvent: (e) => {
          const line = progressLine(e);
          if (line) ctx.stdout(line + '\n');
        },
        onLog: (l) => ctx.stderr(l + '\n'),
      });
      const onSigint = (): void => run.cancel();
      process.on('SIGINT', onSigint);
      const r = await run.done.finally(() => process.off('SIGINT', onSigint));
      if (r.outcome === 'finished' && r.summary) {
        const s = r.summary;
        ctx.stdout(`\n${metricsTable(s.evaluation.before, s.evaluation.after)}\n(${s.evaluation.evaluatedOn}; start: ${s.evaluation.startAdapter})\n\n`);
        // images/s is the throughput: SEA's de-duplication caps the patch–label pairs of a step whatever the batch
        ctx.stdout(`throughput ${s.imagesPerSecond ?? '–'} images/s (${s.pairsPerSecond} patch–label pairs/s), ${s.trainSeconds} s training, ${s.wallSeconds} s total\n`);
        ctx.stdout(`adapter: ${s.exported.safetensors}\n        ${s.exported.onnx}\npack overlay: ${s.pack} (adapter "${s.adapter}")\n`);
        return EXIT.ok;
      }
      if (r.outcome === 'cancelled') return 4;
      ctx.stderr(`sea-lens train: ${r.error}\n`);
      const passed: readonly number[] = [TRAINER_EXIT.input, TRAINER_EXIT.diskFull, TRAINER_EXIT.busy, TRAINER_EXIT.environment];
      return r.exitCode !== null && passed.includes(r.exitCode) ? r.exitCode : EXIT.failed;
    } catch (e) {
      ctx.stderr(`sea-lens train: ${configMessage(e)}\n`);
      return e instanceof RunConfigError ? EXIT.usage : e instanceof PythonError ? TRAINER_EXIT.environment : e instanceof RunBusyError ? TRAINER_EXIT.busy : EXIT.failed;
    }
  },
};

