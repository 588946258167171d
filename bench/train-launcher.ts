// Launcher overhead: the same training config run (a) by hand, `python -m sealens.runner`, (b) through
// the launcher in-process (`sea-lens train`'s code: interpreter probe, config checks, spawn, progress
// parsing) and (c) as the `sea-lens train` CLI process when dist/cli.js is built. Rounds alternate the
// order so a noisy machine penalises every way equally; medians and the ratio to (a) are printed.
//
//   node --import tsx bench/train-launcher.ts [--config FILE] [--rounds N] [--python EXE] [--threads N] [--epochs N]
//
// Without --config a tiny random pack (python/sealens/runner/tinypack.py) is built in a temp folder and
// trained for --epochs (default 3: about 2 s, where fixed costs weigh most).

import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { trainCommand } from '../src/cli/commands/train';
import { probePython } from '../src/training/pythonInterpreter';
import { checkRunInputs, readRunConfig } from '../src/training/runConfig';

const root = path.resolve(__dirname, '..');
const { values } = parseArgs({ options: { config: { type: 'string' }, rounds: { type: 'string', default: '3' }, python: { type: 'string' }, threads: { type: 'string', default: '1' }, epochs: { type: 'string', default: '3' } } });
const python = values.python ?? process.env.SEALENS_PYTHON ?? '/usr/bin/python3';
const rounds = Math.max(1, parseInt(values.rounds!, 10));
const threads = values.threads!;
const env = { ...process.env, PYTHONPATH: [path.join(root, 'python'), process.env.PYTHONPATH].filter(Boolean).join(path.delimiter), PYTHONUNBUFFERED: '1' };
const work = mkdtempSync(path.join(tmpdir(), 'sealens-bench-train-'));

function tinyConfig(): string {
  const r = spawnSync(python, ['-m', 'sealens.runner.tinypack', work], { env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`building the tiny pack failed (is PyTorch installed in ${python}?):\n${r.stderr}`);
  const file = path.join(work, 'bench.json');
  writeFileSync(file, JSON.stringify({ formatVersion: 1, pack: 'pack', dataset: 'images', outputName: 'bench', startAdapter: 'base', epochs: parseInt(values.epochs!, 10), batchSize: 4, validationImages: 2, checkpointEvery: 3, device: 'cpu' }));
  return file;
}

function timeProcess(cmd: string, args: string[]): Promise<number> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const p = spawn(cmd, args, { env, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    p.stderr.on('data', (d) => (err += String(d)));
    p.on('error', reject);
    p.on('close', (code) => (code === 0 ? resolve(performance.now() - t0) : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}:\n${err.slice(-1500)}`))));
  });
}

async function timeLauncher(config: string, runDir: string): Promise<number> {
  const t0 = performance.now();
  let err = '';
  const code = await trainCommand.run(['--config', config, '--run-dir', runDir, '--python', python, '--threads', threads], { installDir: root, stdout: () => undefined, stderr: (s) => (err += s) });
  if (code !== 0) throw new Error(`sea-lens train (in-process) exited ${code}:\n${err.slice(-1500)}`);
  return performance.now() - t0;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

async function main(): Promise<void> {
  const config = values.config ? path.resolve(values.config) : tinyConfig();
  const cli = path.join(root, 'dist', 'cli.js');
  const ways: Record<string, (runDir: string) => Promise<number>> = {
    'by hand (python -m sealens.runner)': (d) => timeProcess(python, ['-m', 'sealens.runner', '--config', config, '--run-dir', d, '--threads', threads]),
    'launcher in-process (trainCommand.run)': (d) => timeLauncher(config, d),
  };
  if (existsSync(cli)) ways['CLI process (node dist/cli.js train)'] = (d) => timeProcess(process.execPath, [cli, 'train', '--config', config, '--run-dir', d, '--python', python, '--threads', threads]);
  else console.log(`(dist/cli.js not built: the CLI-process row is left out; run \`node esbuild.mjs\` to include it)`);
  // The launcher's own work before it spawns (uncached interpreter probe + config and input checks):
  // measured alone because on a busy machine it is far below the run-to-run noise of whole runs.
  const pre: number[] = [];
  for (let i = 0; i < 5; i++) {
    const t0 = performance.now();
    await probePython(python);
    checkRunInputs(readRunConfig(config), config);
    pre.push(performance.now() - t0);
  }
  console.log(`launcher work before spawning the trainer: median ${median(pre).toFixed(0)} ms, min ${Math.min(...pre).toFixed(0)} ms (5 tries)`);
  const names = Object.keys(ways);
  const times: Record<string, number[]> = Object.fromEntries(names.map((n) => [n, []]));
  console.log(`config ${config}\npython ${python}, --threads ${threads}, ${rounds} round(s), fresh run folder each time`);
  for (let r = 0; r < rounds; r++) {
    const order = r % 2 === 0 ? names : [...names].reverse();
    for (const n of order) {
      const ms = await ways[n](path.join(work, `run-${r}-${names.indexOf(n)}`));
      times[n].push(ms);
      console.log(`  round ${r + 1}: ${n.padEnd(40)} ${(ms / 1000).toFixed(2)} s`);
    }
  }
  // the minimum is the least disturbed run of each way (other processes only ever add time); both shown
  const hand = median(times[names[0]]);
  const handMin = Math.min(...times[names[0]]);
  console.log('\nwall time: median (ratio to by-hand) · minimum (ratio to by-hand)');
  for (const n of names) {
    const m = median(times[n]);
    const lo = Math.min(...times[n]);
    console.log(`  ${n.padEnd(40)} ${(m / 1000).toFixed(2)} s (×${(m / hand).toFixed(3)}) · ${(lo / 1000).toFixed(2)} s (×${(lo / handMin).toFixed(3)})`);
  }
}

main().then(() => rmSync(work, { recursive: true, force: true }), (e) => {
  console.error(e);
  rmSync(work, { recursive: true, force: true });
  process.exit(1);
});
