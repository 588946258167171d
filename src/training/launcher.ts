// Starts the trainer (`python -m sealens.runner`, or `sealens.runner.launch` for several processes), turns
// its stdout into progress events, and cancels it cleanly: a cancel file plus SIGTERM, after which the
// trainer writes a checkpoint and exits; SIGKILL only if it has not gone after a grace period (every
// checkpoint is crash-safe, so even that loses at most the steps since the last one).

import { spawn, type ChildProcess } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { TRAINER_EXIT, type ProgressEvent, type RunSummary } from '../shared/trainingProtocol';
import { ProgressLineParser } from './progressLines';
import { checkRunInputs, readRunConfig } from './runConfig';
import { RunBusyError, runLock } from './runFolder';

export interface LaunchOptions {
  python: string;
  /** Folder holding the `sealens` package. */
  pythonPath: string;
  configFile: string;
  runDir: string;
  outDir?: string;
  nprocPerNode?: number;
  threads?: number;
  onEvent?: (e: ProgressEvent) => void;
  /** Non-JSON stdout and all of stderr, line by line. */
  onLog?: (line: string) => void;
  cancelGraceMs?: number;
}

export type RunOutcome = 'finished' | 'cancelled' | 'failed';

export interface RunResult {
  outcome: RunOutcome;
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  summary?: RunSummary;
  error?: string;
}

export interface TrainingProcess {
  readonly pid: number | undefined;
  readonly done: Promise<RunResult>;
  cancel(): void;
}

const active = new Set<string>();

export function trainerArgs(o: Pick<LaunchOptions, 'configFile' | 'runDir' | 'outDir' | 'nprocPerNode' | 'threads'>): string[] {
  const run = ['--config', o.configFile, '--run-dir', o.runDir];
  if (o.outDir) run.push('--out', o.outDir);
  if (o.threads) run.push('--threads', String(o.threads));
  const n = o.nprocPerNode ?? 1;
  return n > 1 ? ['-m', 'sealens.runner.launch', '--nproc-per-node', String(n), '--', ...run] : ['-m', 'sealens.runner', ...run];
}

/** Validates the config and the run folder, then spawns. Throws before spawning on any bad input. */
export function launchTraining(o: LaunchOptions): TrainingProcess {
  const runDir = path.resolve(o.runDir);
  const holder = runLock(runDir);
  if (holder !== undefined) throw new RunBusyError(runDir, holder.pid, holder.host);
  if (active.has(runDir)) throw new RunBusyError(runDir, process.pid);
  checkRunInputs(readRunConfig(o.configFile), o.configFile);
  const env = { ...process.env, PYTHONPATH: [o.pythonPath, process.env.PYTHONPATH].filter(Boolean).join(path.delimiter), PYTHONUNBUFFERED: '1' };
  const child: ChildProcess = spawn(o.python, trainerArgs({ ...o, runDir }), { env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
  active.add(runDir);
  let summary: RunSummary | undefined;
  let error: string | undefined;
  const log = o.onLog ?? ((): void => undefined);
  const parser = new ProgressLineParser((e) => {
    if (e.event === 'done') summary = e.summary;
    if (e.event === 'error') error = e.message;
    o.onEvent?.(e);
  }, log);
  const errLines = new ProgressLineParser(() => undefined, log);
  child.stdout!.setEncoding('utf8').on('data', (c: string) => parser.push(c));
  child.stderr!.setEncoding('utf8').on('data', (c: string) => errLines.push(c));
  let killTimer: NodeJS.Timeout | undefined;
  const done = new Promise<RunResult>((resolve) => {
    const finish = (exitCode: number | null, signal: NodeJS.Signals | null, spawnError?: Error): void => {
      parser.end();
      errLines.end();
      active.delete(runDir);
      if (killTimer) clearTimeout(killTimer);
      if (spawnError) {
        resolve({ outcome: 'failed', exitCode, signal, error: `could not start ${o.python}: ${spawnError.message}` });
        return;
      }
      const outcome: RunOutcome = exitCode === TRAINER_EXIT.ok ? 'finished' : exitCode === TRAINER_EXIT.cancelled ? 'cancelled' : 'failed';
      resolve({ outcome, exitCode, signal, summary, error: outcome === 'failed' ? error ?? `trainer exited with ${signal ?? `code ${exitCode}`}` : undefined });
    };
    child.once('error', (e) => finish(null, null, e));
    child.once('close', (code, sig) => finish(code, sig));
  });
  return {
    pid: child.pid,
    done,
    cancel(): void {
      try {
        writeFileSync(path.join(runDir, 'cancel'), String(Date.now()));
      } catch {
        // the signal below still reaches the trainer
      }
      if (process.platform !== 'win32') child.kill('SIGTERM');
      killTimer ??= setTimeout(() => child.kill('SIGKILL'), o.cancelGraceMs ?? 120_000);
    },
  };
}
