// What `sea-lens doctor` and "SEA Lens: Check Environment" report: Node, onnxruntime's execution providers,
// every Python candidate with its torch / onnx / transformers versions and CUDA visibility, which one the
// trainer and `pack init` would use, the Hugging Face model cache and its free space — and each problem
// with the command or setting that fixes it. No vscode import: the CLI and the extension share it.

import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, statfsSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { checkProviders, type ProviderReport } from '../engine/providerCheck';
import { installCommand, PACK_INIT_NEED, probeInterpreter, PythonError, TRAINING_NEED, unmetNeed, type PythonInfo, type PythonNeed } from './pythonInterpreter';
import type { PythonCandidate } from './pythonDiscovery';

export interface TorchCuda {
  available: boolean;
  /** torch.version.cuda: the CUDA the wheel was built for (null for a CPU build). */
  built: string | null;
  devices: string[];
}

export interface PythonCandidateReport {
  candidate: PythonCandidate;
  info?: PythonInfo;
  /** Why the interpreter could not be probed. */
  error?: string;
  /** From importing torch (only where torch is installed); `error` when the import failed or timed out. */
  cuda?: TorchCuda | { error: string };
  /** Why it cannot run the trainer / pack init; absent when it can. */
  trainer?: string;
  packInit?: string;
}

export interface ModelCache {
  dir: string;
  /** Which variable chose it. */
  from: 'HF_HUB_CACHE' | 'HF_HOME' | 'XDG_CACHE_HOME' | 'default';
  exists: boolean;
  writable: boolean;
  freeBytes: number | null;
}

export interface Problem {
  /** problem: a SEA Lens feature cannot work; note: an optional speed-up is unavailable. */
  severity: 'problem' | 'note';
  what: string;
  fix: string;
}

export interface EnvironmentReport {
  node: { version: string; platform: string; arch: string; execPath: string };
  onnxruntime: ProviderReport;
  python: { candidates: PythonCandidateReport[]; trainer: string | null; packInit: string | null };
  modelCache: ModelCache;
  problems: Problem[];
}

const TORCH_CUDA = [
  'import json, torch',
  'ok = torch.cuda.is_available()',
  'print(json.dumps({"available": ok, "built": torch.version.cuda, "devices": [torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())] if ok else []}))',
].join('\n');

/** Imports torch (seconds) to ask whether it sees a GPU: only the doctor does this, never the launcher. */
export function torchCuda(executable: string, timeoutMs = 60_000): Promise<TorchCuda | { error: string }> {
  return new Promise((resolve) => {
    execFile(executable, ['-c', TORCH_CUDA], { timeout: timeoutMs, windowsHide: true }, (err, stdout, stderr) => {
      if (err) {
        const timedOut = (err as { killed?: boolean }).killed;
        resolve({ error: timedOut ? `importing torch took over ${timeoutMs / 1000} s` : `importing torch failed: ${String(stderr || err.message).trim().split('\n').pop()?.slice(0, 200)}` });
        return;
      }
      try {
        resolve(JSON.parse(stdout.trim().split('\n').pop() ?? '') as TorchCuda);
      } catch {
        resolve({ error: `unexpected answer: ${stdout.slice(0, 120)}` });
      }
    });
  });
}

/** Where huggingface_hub keeps downloaded models, by its own rules (HF_HUB_CACHE, else HF_HOME/hub, …). */
export function modelCacheDir(env: NodeJS.ProcessEnv = process.env): Pick<ModelCache, 'dir' | 'from'> {
  if (env.HF_HUB_CACHE) return { dir: env.HF_HUB_CACHE, from: 'HF_HUB_CACHE' };
  if (env.HF_HOME) return { dir: path.join(env.HF_HOME, 'hub'), from: 'HF_HOME' };
  if (env.XDG_CACHE_HOME) return { dir: path.join(env.XDG_CACHE_HOME, 'huggingface', 'hub'), from: 'XDG_CACHE_HOME' };
  return { dir: path.join(os.homedir(), '.cache', 'huggingface', 'hub'), from: 'default' };
}

export function modelCache(env: NodeJS.ProcessEnv = process.env): ModelCache {
  const { dir, from } = modelCacheDir(env);
  // Free space and permission of the folder, or of the nearest parent that exists (it is created on first use).
  let probe = dir;
  while (!existsSync(probe) && path.dirname(probe) !== probe) probe = path.dirname(probe);
  let writable = false;
  try {
    accessSync(probe, constants.W_OK);
    writable = true;
  } catch { /* not writable */ }
  let freeBytes: number | null = null;
  try {
    const s = statfsSync(probe);
    freeBytes = s.bavail * s.bsize;
  } catch { /* statfs unsupported */ }
  return { dir, from, exists: existsSync(dir), writable, freeBytes };
}

const GB = 1024 ** 3;

async function reportCandidate(candidate: PythonCandidate): Promise<PythonCandidateReport> {
  let info: PythonInfo;
  try {
    info = await probeInterpreter(candidate.executable);
  } catch (e) {
    return { candidate, error: e instanceof PythonError ? e.problem : String(e), trainer: 'not usable', packInit: 'not usable' };
  }
  const why = (need: PythonNeed): string | undefined => unmetNeed(info, need)?.problem;
  return { candidate, info, cuda: info.torch ? await torchCuda(candidate.executable) : undefined, trainer: why(TRAINING_NEED), packInit: why(PACK_INIT_NEED) };
}

function pythonProblems(candidates: PythonCandidateReport[], explicit: boolean): Problem[] {
  const problems: Problem[] = [];
  const first = candidates.find((c) => c.info)?.info?.executable ?? 'python3';
  for (const [key, need] of [['trainer', TRAINING_NEED], ['packInit', PACK_INIT_NEED]] as const) {
    const chosen = explicit ? candidates[0] : candidates.find((c) => c.info && !c[key]);
    if (chosen?.info && !chosen[key]) continue;
    const err = explicit && chosen?.info ? unmetNeed(chosen.info, need) : undefined;
    problems.push(err
      ? { severity: 'problem', what: `${chosen!.candidate.label} ${chosen!.candidate.executable}: ${err.problem}`, fix: err.fix.replace(/\.$/, '') + ', or clear that choice to let SEA Lens search.' }
      : { severity: 'problem', what: `No Python here can run ${need.task} (it needs ${need.modules.join(', ')}).`, fix: `Install them into one: ${installCommand(first, need.modules)}, or set seaLens.pythonPath / --python / $SEALENS_PYTHON to an interpreter that has them.` });
  }
  return problems;
}

/**
 * Builds the whole report. `candidates` in the order discovery tries them; with `explicit` the first is the
 * user's choice, used even when it lacks something.
 */
export async function environmentReport(o: { candidates: PythonCandidate[]; explicit?: boolean; env?: NodeJS.ProcessEnv; providerTimeoutMs?: number }): Promise<EnvironmentReport> {
  // Providers one by one in child processes, Pythons in parallel with them: importing torch is mostly disk.
  const [onnxruntime, candidates] = await Promise.all([checkProviders(o.providerTimeoutMs), Promise.all(o.candidates.map(reportCandidate))]);
  const problems: Problem[] = [];
  for (const p of onnxruntime.providers) {
    if (!p.usable) problems.push({ severity: p.device === 'cpu' ? 'problem' : 'note', what: `onnxruntime ${p.device} provider unusable: ${p.reason}`, fix: p.fix ?? '' });
  }
  problems.push(...pythonProblems(candidates, !!o.explicit));
  const cache = modelCache(o.env);
  if (!cache.writable) problems.push({ severity: 'problem', what: `The model cache ${cache.dir} is not writable: Hugging Face models cannot be downloaded.`, fix: 'Set HF_HOME (or HF_HUB_CACHE) to a folder you can write.' });
  else if (cache.freeBytes !== null && cache.freeBytes < 20 * GB) {
    problems.push({ severity: cache.freeBytes < 2 * GB ? 'problem' : 'note', what: `Only ${(cache.freeBytes / GB).toFixed(1)} GB free for the model cache ${cache.dir} (a 7B LLM takes about 15 GB).`, fix: 'Free space there, or set HF_HOME (or HF_HUB_CACHE) to a folder on a larger disk.' });
  }
  const pick = (key: 'trainer' | 'packInit'): string | null => {
    const c = o.explicit ? candidates[0] : candidates.find((x) => x.info && !x[key]);
    return c?.info && !c[key] ? c.candidate.executable : null;
  };
  return {
    node: { version: process.versions.node, platform: process.platform, arch: process.arch, execPath: process.execPath },
    onnxruntime,
    python: { candidates, trainer: pick('trainer'), packInit: pick('packInit') },
    modelCache: cache,
    problems,
  };
}

const gb = (b: number | null): string => (b === null ? 'free space unknown' : `${(b / GB).toFixed(1)} GB free`);

function cudaText(c: PythonCandidateReport['cuda']): string {
  if (!c) return '';
  if ('error' in c) return `CUDA: unknown (${c.error})`;
  if (c.available) return `CUDA: ${c.devices.length} GPU(s) visible (${c.devices.join(', ')}; CUDA ${c.built})`;
  return `CUDA: no GPU visible${c.built ? ` (wheel built for CUDA ${c.built})` : ' (CPU-only build)'}`;
}

/** The report as text, for the terminal and the output channel. */
export function formatEnvironmentReport(r: EnvironmentReport): string {
  const lines: string[] = ['SEA Lens environment', ''];
  lines.push(`Node ${r.node.version} (${r.node.platform} ${r.node.arch}) ${r.node.execPath}`);
  lines.push(`onnxruntime-node ${r.onnxruntime.version ?? 'not installed'}; execution providers:`);
  for (const p of r.onnxruntime.providers) lines.push(`  ${p.device.padEnd(7)} ${p.usable ? `usable (session + first run ${p.ms} ms)` : `unusable: ${p.reason}`}`);
  lines.push('', 'Python interpreters, in the order SEA Lens tries them:');
  if (!r.python.candidates.length) lines.push('  none found (no .venv, $CONDA_PREFIX, python3, python or /usr/bin/python3)');
  for (const c of r.python.candidates) {
    lines.push(`  ${c.candidate.label}: ${c.candidate.executable}`);
    if (!c.info) {
      lines.push(`    not usable: ${c.error}`);
      continue;
    }
    const i = c.info;
    lines.push(`    Python ${i.python}; torch ${i.torch ?? 'not installed'}; onnx ${i.onnx ?? 'not installed'}; transformers ${i.transformers ?? 'not installed'}`);
    if (c.cuda) lines.push(`    ${cudaText(c.cuda)}`);
    const no = (why: string): string => `no — ${why.replace(/\.$/, '')}`;
    lines.push(c.trainer && c.trainer === c.packInit ? `    trainer and pack init: ${no(c.trainer)}` : `    trainer: ${c.trainer ? no(c.trainer) : 'yes'}; pack init: ${c.packInit ? no(c.packInit) : 'yes'}`);
  }
  lines.push(`  → the trainer uses ${r.python.trainer ?? 'none (see problems)'}`);
  lines.push(`  → pack init uses ${r.python.packInit ?? 'none (see problems)'}`);
  const m = r.modelCache;
  lines.push('', `Model cache: ${m.dir} (${m.from === 'default' ? 'default; HF_HUB_CACHE and HF_HOME are not set' : `from $${m.from}`})${m.exists ? '' : ', not created yet'}; ${gb(m.freeBytes)}${m.writable ? '' : '; NOT writable'}`);
  const problems = r.problems.filter((p) => p.severity === 'problem');
  const notes = r.problems.filter((p) => p.severity === 'note');
  for (const [title, list] of [['Problems', problems], ['Notes (optional)', notes]] as const) {
    if (!list.length) continue;
    lines.push('', `${title}:`);
    for (const p of list) lines.push(`  - ${p.what}`, `    fix: ${p.fix}`);
  }
  lines.push('', problems.length ? `${problems.length} problem(s) found.` : 'No problems found.');
  return lines.join('\n');
}
