// sea-lens sweep: one run config, several λ → one training run each (one after the other, through the
// launcher `sea-lens train` uses), then the comparison table and the pick "best alignment within 5 %
// caption loss" (src/training/lambdaSweep.ts), also written to .sealens/sweeps/<id>/comparison.md.

import path from 'node:path';
import { parseArgs } from 'node:util';
import { EXIT, type CliCommand } from '../command';
import { launchTraining } from '../../training/launcher';
import { PythonError, TRAINING_NEED, trainerPythonPath } from '../../training/pythonInterpreter';
import { describeDiscovery, discoverPython, pythonCandidates } from '../../training/pythonDiscovery';
import { readRunConfig, RunConfigError } from '../../training/runConfig';
import { absoluteConfig, createSweep, sweepLambdas, sweepMarkdown, SweepError, writeSweepComparison } from '../../training/lambdaSweep';
import { TRAINER_EXIT } from '../../shared/trainingProtocol';

export const sweepCommand: CliCommand = {
  name: 'sweep',
  summary: 'train one adapter per λ from one run config and pick the best alignment within 5 % caption loss',
  help: `Usage: sea-lens sweep --config FILE [--lambdas LIST] [--workspace DIR] [--python EXE] [--threads N]

Trains the run config FILE once per λ of LIST (e.g. 0,0.25,0.5,1,2; 2 to 12 values ≥ 0; default: the
config's own "lambdas" list), one run after
the other, each in its own run folder DIR/.sealens/runs/<id> (DIR: --workspace, default the current
folder). Then prints the comparison table and the pick: the highest patch-word accuracy (where the data
has per-patch truth, else CLIP-label agreement) among the runs whose validation caption loss is at most
5 % above the λ = 0 run's (else the start adapter's). The table is also written to
DIR/.sealens/sweeps/<id>/comparison.md. Include 0 in LIST for a caption-only reference.
Exit codes: 0 every run finished, 1 a run failed (the others still ran; the table lists it), 2 bad
input, 4 cancelled (Ctrl+C: the running run writes a checkpoint, later ones are not started), 6 the
interpreter cannot run the trainer.`,
  async run(argv, ctx) {
    let values;
    try {
      ({ values } = parseArgs({ args: argv, options: { config: { type: 'string' }, lambdas: { type: 'string' }, workspace: { type: 'string' }, python: { type: 'string' }, threads: { type: 'string' } } }));
    } catch (e) {
      ctx.stderr(`sea-lens sweep: ${(e as Error).message}\n`);
      return EXIT.usage;
    }
    if (!values.config) {
      ctx.stderr('sea-lens sweep: --config FILE is required (see sea-lens sweep --help)\n');
      return EXIT.usage;
    }
    const threads = values.threads === undefined ? undefined : Number(values.threads);
    if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) {
      ctx.stderr(`sea-lens sweep: --threads must be an integer ≥ 1 (got ${values.threads})\n`);
      return EXIT.usage;
    }
    const workspace = path.resolve(values.workspace ?? '.');
    let lambdas: number[];
    let base;
    try {
      const configFile = path.resolve(values.config);
      base = absoluteConfig(configFile, readRunConfig(configFile));
      lambdas = sweepLambdas(values.lambdas, base);
    } catch (e) {
      ctx.stderr(`sea-lens sweep: ${e instanceof SweepError ? `${values.lambdas !== undefined ? '--lambdas' : 'lambdas'}: ${e.message}` : (e as Error).message}\n`);
      return e instanceof SweepError || e instanceof RunConfigError ? EXIT.usage : EXIT.failed;
    }
    try {
      const found = await discoverPython(pythonCandidates({ explicit: values.python ? { executable: values.python, source: 'flag' } : undefined, projectDirs: [ctx.installDir] }), TRAINING_NEED);
      ctx.stdout(`${describeDiscovery(found).join('\n')}\n`);
      const sweep = createSweep(workspace, base, lambdas);
      ctx.stdout(`λ sweep ${sweep.dir}: ${sweep.runs.length} runs\n`);
      let failed = false;
      for (const r of sweep.runs) {
        ctx.stdout(`λ = ${r.lambda}: run ${r.dir}\n`);
        const run = launchTraining({
          python: found.info.executable, pythonPath: trainerPythonPath(ctx.installDir), configFile: path.join(r.dir, 'config.json'), runDir: r.dir, threads,
          onEvent: (e) => {
            if (e.event === 'warning' || e.event === 'error') ctx.stdout(`  ${e.event}: ${e.message}\n`);
          },
          onLog: (l) => ctx.stderr(l + '\n'),
        });
        const onSigint = (): void => run.cancel();
        process.on('SIGINT', onSigint);
        const res = await run.done.finally(() => process.off('SIGINT', onSigint));
        if (res.outcome === 'cancelled') {
          ctx.stderr(`sea-lens sweep: cancelled at λ = ${r.lambda}; its checkpoint is in ${r.dir} (sea-lens train --config ${path.join(r.dir, 'config.json')} --run-dir ${r.dir} resumes it)\n`);
          writeSweepComparison(workspace, sweep.dir);
          return TRAINER_EXIT.cancelled;
        }
        if (res.outcome === 'failed') {
          failed = true;
          ctx.stderr(`sea-lens sweep: λ = ${r.lambda} failed: ${res.error}\n`);
          if (res.exitCode === TRAINER_EXIT.environment || res.exitCode === TRAINER_EXIT.input) {
            // the same config fails the same way for every λ: stop instead of repeating it
            writeSweepComparison(workspace, sweep.dir);
            return res.exitCode;
          }
        } else {
          const s = res.summary;
          const ips = s?.imagesPerSecond;
          ctx.stdout(`  finished in ${s?.trainSeconds ?? '–'} s${ips !== undefined ? ` (${ips} images/s)` : ''}\n`);
        }
      }
      const { file, table } = writeSweepComparison(workspace, sweep.dir);
      ctx.stdout(`\n${sweepMarkdown(table, `λ sweep ${path.basename(sweep.dir)}`)}\nwritten to ${file}\n`);
      return failed ? EXIT.failed : EXIT.ok;
    } catch (e) {
      ctx.stderr(`sea-lens sweep: ${(e as Error).message}\n`);
      return e instanceof PythonError ? TRAINER_EXIT.environment : e instanceof RunConfigError ? EXIT.usage : EXIT.failed;
    }
  },
};
