// sea-lens dataset demo: the demo world (python/sealens/world.py) written as a training dataset — images
// with caption sidecars and per-patch truth, plus the same list as LLaVA JSON — to try a training run on
// data whose true patch words are known. The world is numpy + Pillow code, so this runs in Python (no
// PyTorch needed).

import { spawn } from 'node:child_process';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EXIT, type CliCommand } from '../command';
import { describeDiscovery, discoverPython, pythonCandidates } from '../../training/pythonDiscovery';
import { trainerPythonPath, type PythonNeed } from '../../training/pythonInterpreter';

export const DEMO_DATASET_NEED: PythonNeed = Object.freeze({ task: 'the demo dataset', modules: Object.freeze([]) });

/** Runs `python -m sealens.demo_dataset`; resolves with its exit code (its messages go to the callbacks). */
export function writeDemoDataset(python: string, installDir: string, n: number, out: string, onOut: (s: string) => void, onErr: (s: string) => void): Promise<number> {
  return new Promise((resolve) => {
    const env = { ...process.env, PYTHONPATH: [trainerPythonPath(installDir), process.env.PYTHONPATH].filter(Boolean).join(path.delimiter) };
    const child = spawn(python, ['-m', 'sealens.demo_dataset', '--n', String(n), '--out', out], { env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
    child.stdout.setEncoding('utf8').on('data', onOut);
    child.stderr.setEncoding('utf8').on('data', onErr);
    child.once('error', (e) => {
      onErr(`could not start ${python}: ${e.message}\n`);
      resolve(EXIT.failed);
    });
    child.once('close', (code) => resolve(code ?? EXIT.failed));
  });
}

export const datasetCommand: CliCommand = {
  name: 'dataset',
  summary: 'write the demo world as a training dataset (images + captions + truth)',
  help: `Usage: sea-lens dataset demo --n N --out DIR [--python EXE]

Writes N scenes of the demo world (docs/demo-pack.md) into DIR (new or empty): NAME.png, its caption in
NAME.txt, its per-patch truth in NAME.truth.json (a training run then reports patch-word accuracy), and
llava.json listing the same images in LLaVA's layout. Use DIR (or DIR/llava.json) as a run config's
"dataset". Needs a Python with numpy and Pillow (--python, else as sea-lens train finds one).
Exit codes: 0 written, 2 bad arguments or DIR not empty, 3 disk full, 6 no usable Python.`,
  async run(argv, ctx) {
    let values;
    let positionals: string[];
    try {
      ({ values, positionals } = parseArgs({ args: argv, allowPositionals: true, options: { n: { type: 'string' }, out: { type: 'string' }, python: { type: 'string' } } }));
    } catch (e) {
      ctx.stderr(`sea-lens dataset: ${(e as Error).message}\n`);
      return EXIT.usage;
    }
    if (positionals[0] !== 'demo' || positionals.length !== 1) {
      ctx.stderr(`sea-lens dataset: expected the subcommand "demo" (got ${positionals.length ? positionals.map((p) => JSON.stringify(p)).join(' ') : 'none'}); see sea-lens dataset --help\n`);
      return EXIT.usage;
    }
    const n = Number(values.n);
    if (!values.n || !/^\d+$/.test(values.n) || n < 1 || n > 100_000) {
      ctx.stderr(`sea-lens dataset demo: --n must be a whole number from 1 to 100000 (got ${values.n === undefined ? 'none' : JSON.stringify(values.n)})\n`);
      return EXIT.usage;
    }
    if (!values.out) {
      ctx.stderr('sea-lens dataset demo: --out DIR is required\n');
      return EXIT.usage;
    }
    try {
      const found = await discoverPython(pythonCandidates({ explicit: values.python ? { executable: values.python, source: 'flag' } : undefined, projectDirs: [ctx.installDir] }), DEMO_DATASET_NEED);
      ctx.stderr(describeDiscovery(found).join('\n') + '\n');
      return await writeDemoDataset(found.info.executable, ctx.installDir, n, path.resolve(values.out), ctx.stdout, ctx.stderr);
    } catch (e) {
      ctx.stderr(`sea-lens dataset demo: ${(e as Error).message}\n`);
      return 6;
    }
  },
};
