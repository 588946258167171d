// Run folders: `.sealens/runs/<id>/` holds config.json, progress.jsonl, checkpoints/, out/, pack/ and
// summary.json. A run's status is read from the folder itself, so runs started from the CLI, from another
// window or before a reload show up the same way.

import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { hostname } from 'node:os';
import path from 'node:path';
import type { ProgressEvent, RunConfig, RunStatus, RunSummary } from '../shared/trainingProtocol';
import { parseProgressFile } from './progressLines';

export const RUNS_DIR = path.join('.sealens', 'runs');

export interface RunInfo {
  id: string;
  dir: string;
  status: RunStatus;
  summary?: RunSummary;
  lastStep?: { step: number; totalSteps: number; loss: number };
  error?: string;
}

export class RunBusyError extends Error {
  constructor(readonly runDir: string, readonly pid: number, readonly host?: string) {
    super(host
      ? `${runDir}: run.lock is held by pid ${pid} on host ${host}, which cannot be checked from here; if that run has ended, delete ${path.join(runDir, 'run.lock')} and start again.`
      : `${runDir}: a training run (pid ${pid}) is already using this run folder; cancel it or start a new run.`);
    this.name = 'RunBusyError';
  }
}

export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export interface RunLock {
  pid: number;
  /** Set when the lock was written on another host (a cluster node): its pid cannot be checked here. */
  host?: string;
}

/**
 * The holder of the run folder's lock when it is (or may be) running: a live local pid, or any pid of
 * another host (the trainer writes `{"pid", "host", "slurmJobId"}`; older trainers a bare pid).
 */
export function runLock(runDir: string): RunLock | undefined {
  let text: string;
  try {
    text = readFileSync(path.join(runDir, 'run.lock'), 'utf8').trim();
  } catch {
    return undefined;
  }
  let pid = NaN;
  let host: string | undefined;
  try {
    const rec = text.startsWith('{') ? (JSON.parse(text) as { pid?: unknown; host?: unknown }) : { pid: parseInt(text, 10) };
    pid = typeof rec.pid === 'number' ? rec.pid : NaN;
    host = typeof rec.host === 'string' && rec.host && rec.host !== hostname() ? rec.host : undefined;
  } catch {
    return undefined;
  }
  if (!Number.isInteger(pid) || pid <= 0) return undefined;
  if (host) return { pid, host };
  return pidAlive(pid) ? { pid } : undefined;
}

/** The pid holding the run folder's lock, when that process is alive (or on another host). */
export function lockHolder(runDir: string): number | undefined {
  return runLock(runDir)?.pid;
}

/** `<date>-<time>-<name>`: sortable, readable, unique per second and name. */
export function newRunId(name: string, now = new Date()): string {
  const pad = (n: number): string => String(n).padStart(2, '0');
  const stamp = `${now.getFullYear()}${pad(now.getMonth() + 1)}${pad(now.getDate())}-${pad(now.getHours())}${pad(now.getMinutes())}${pad(now.getSeconds())}`;
  return `${stamp}-${name.replace(/[^A-Za-z0-9._-]/g, '-').slice(0, 40)}`;
}

/** Creates a new run folder with its config.json; refuses to overwrite an existing one. */
export function createRun(root: string, cfg: RunConfig, id = newRunId(cfg.outputName)): { id: string; dir: string; configFile: string } {
  const dir = path.join(root, RUNS_DIR, id);
  if (existsSync(dir)) throw new Error(`${dir} already exists; choose another output name or wait a second`);
  mkdirSync(dir, { recursive: true });
  const configFile = path.join(dir, 'config.json');
  writeFileSync(configFile, JSON.stringify(cfg, null, 2) + '\n', { flag: 'wx' });
  return { id, dir, configFile };
}

export function readEvents(runDir: string): ProgressEvent[] {
  try {
    return parseProgressFile(readFileSync(path.join(runDir, 'progress.jsonl'), 'utf8'));
  } catch {
    return [];
  }
}

export function runInfo(runDir: string): RunInfo {
  const id = path.basename(runDir);
  const info: RunInfo = { id, dir: runDir, status: 'new' };
  const events = readEvents(runDir);
  const steps = events.filter((e): e is Extract<ProgressEvent, { event: 'step' }> => e.event === 'step');
  const last = steps[steps.length - 1];
  if (last) info.lastStep = { step: last.step, totalSteps: last.totalSteps, loss: last.loss };
  try {
    const s = JSON.parse(readFileSync(path.join(runDir, 'summary.json'), 'utf8')) as RunSummary;
    if (s.status === 'done') return { ...info, status: 'finished', summary: s };
  } catch {
    // not finished
  }
  if (lockHolder(runDir)) return { ...info, status: 'running' };
  const end = [...events].reverse().find((e) => e.event === 'cancelled' || e.event === 'error' || e.event === 'start');
  if (end?.event === 'cancelled') return { ...info, status: 'cancelled' };
  if (end?.event === 'error') return { ...info, status: 'failed', error: end.message };
  return { ...info, status: events.length ? 'interrupted' : 'new' };
}

export function listRuns(root: string): RunInfo[] {
  const base = path.join(root, RUNS_DIR);
  if (!existsSync(base)) return [];
  return readdirSync(base, { withFileTypes: true })
    .filter((d) => d.isDirectory() && existsSync(path.join(base, d.name, 'config.json')))
    .map((d) => runInfo(path.join(base, d.name)))
    .sort((a, b) => b.id.localeCompare(a.id));
}
