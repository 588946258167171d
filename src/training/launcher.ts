// Starts the trainer (`python -m sealens.runner`, or `sealens.runner.launch` for several processes), turns
// its stdout into progress events, and cancels it cleanly: a cancel file plus SIGTERM, after which the
// trainer writes a checkpoint and exits; SIGKILL only if it has not gone after a grace period (every
// checkpoint is crash-safe, so even that loses at most the steps since the last one).

import { spawn, type ChildProcess } from 'node:child_process';
import { appendFileSync, closeSync, existsSync, openSync, readSync, statSync, writeFileSync } from 'node:fs';
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
        const message = `could not start ${o.python}: ${spawnError.message}`;
        recordFailure(runDir, message);
        resolve({ outcome: 'failed', exitCode, signal, error: message });
        return;
      }
      const outcome: RunOutcome = exitCode === TRAINER_EXIT.ok ? 'finished' : exitCode === TRAINER_EXIT.cancelled ? 'cancelled' : 'failed';
      // A trainer that died without saying why (killed, out of memory, a crash in native code) would leave
      // the run looking merely interrupted; the folder records the failure so every view marks it failed.
      // A busy folder belongs to another trainer, whose progress file is not ours to write.
      if (outcome === 'failed' && error === undefined && exitCode !== TRAINER_EXIT.busy) recordFailure(runDir, `trainer exited with ${signal ?? `code ${exitCode}`} without reporting an error; see the SEA Lens Training log`);
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

/** Appends an `error` event to the run's progress.jsonl (runInfo then reads the run as failed). */
function recordFailure(runDir: string, message: string): void {
  const file = path.join(runDir, 'progress.jsonl');
  try {
    // a trainer killed mid-line leaves no newline: start on a line of our own
    let sep = '';
    if (existsSync(file) && statSync(file).size > 0) {
      const fd = openSync(file, 'r');
      const last = Buffer.alloc(1);
      readSync(fd, last, 0, 1, statSync(file).size - 1);
      closeSync(fd);
      if (last[0] !== 0x0a) sep = '\n';
    }
    appendFileSync(file, sep + JSON.stringify({ event: 'error', kind: 'internal', message }) + '\n');
  } catch {
    // an unwritable run folder: the caller still reports the failure
  }
}
