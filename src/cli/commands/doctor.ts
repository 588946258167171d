// sea-lens doctor: what this machine offers SEA Lens — onnxruntime's execution providers, every Python
// candidate (torch / onnx / transformers, CUDA), which one training and `pack init` would use, the model
// cache — and for each problem the command that fixes it. Exit 0 when nothing a feature needs is missing.

import { parseArgs } from 'node:util';
import { EXIT, type CliCommand } from '../command';
import { pythonCandidates, type PythonCandidate } from '../../training/pythonDiscovery';
import { environmentReport, formatEnvironmentReport } from '../../training/environmentReport';

/** With an explicit choice that one first (it is what would be used), then everything discovery would try. */
export function doctorCandidates(python: string | undefined, installDir: string, env: NodeJS.ProcessEnv = process.env): { candidates: PythonCandidate[]; explicit: boolean } {
  const auto = pythonCandidates({ projectDirs: [installDir], env: { ...env, SEALENS_PYTHON: '' } });
  const exe = python?.trim() || env.SEALENS_PYTHON?.trim();
  if (!exe) return { candidates: auto, explicit: false };
  const chosen: PythonCandidate = python?.trim() ? { executable: exe, source: 'flag', label: '--python' } : { executable: exe, source: 'env', label: '$SEALENS_PYTHON' };
  return { candidates: [chosen, ...auto.filter((c) => c.executable !== exe)], explicit: true };
}

export const doctorCommand: CliCommand = {
  name: 'doctor',
  summary: 'check this machine: GPU providers, Python interpreters for training, model cache',
  help: `Usage: sea-lens doctor [--json] [--python EXE]

Reports what SEA Lens can use here and what to install or set where something is missing:
  - Node and onnxruntime-node's execution providers (cpu, webgpu, cuda), each tried in its own process
    with a timeout, with the reason a provider is unusable;
  - every Python interpreter SEA Lens would try (--python / $SEALENS_PYTHON, .venv of the SEA Lens folder,
    $CONDA_PREFIX, python3, python, /usr/bin/python3) with its torch / onnx / transformers versions and
    whether torch sees a GPU, and which one \`sea-lens train\` and \`pack init\` would use;
  - the Hugging Face model cache (HF_HUB_CACHE, else HF_HOME/hub, else ~/.cache/huggingface/hub) and its
    free space.
  --json          the report as JSON (problems with their fixes included)
  --python EXE    check this interpreter as the explicit choice
Exit codes: 0 no problems (unusable GPU providers are notes, not problems), 1 problems found (listed with
their fixes), 2 bad options.`,
  async run(argv, ctx) {
    const { values } = parseArgs({ args: argv, options: { json: { type: 'boolean' }, python: { type: 'string' } } });
    const { candidates, explicit } = doctorCandidates(values.python, ctx.installDir);
    const report = await environmentReport({ candidates, explicit });
    ctx.stdout(values.json ? JSON.stringify(report, null, 2) + '\n' : formatEnvironmentReport(report) + '\n');
    return report.problems.some((p) => p.severity === 'problem') ? EXIT.failed : EXIT.ok;
  },
};
