// Runs the Python exporter (`python -m sealens.hfpack init …`) and follows its protocol: one JSON object a
// line on stdout — {"event":"progress",message,fraction}, {"event":"done",pack,family,name} or
// {"event":"error",code,message} — and everything else (stdout or stderr) is log text. Cancel sends
// SIGTERM (SIGKILL 5 s later) and removes the temporary folder the exporter was writing beside --out,
// which it would otherwise rename into place at the end; Python's default SIGTERM ends it without cleanup.
import { spawn } from 'node:child_process';
import { existsSync, readdirSync, renameSync, rmSync } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';

export interface ExporterOptions {
  python: string;
  /** Folder holding the exporter's package (the installation's python/). */
  pythonPath: string;
  /** The module run with -m; sealens.hfpack. */
  module?: string;
  src: string;
  out: string;
  layer?: number;
  repo?: string;
  revision?: string;
  env?: NodeJS.ProcessEnv;
  onProgress?: (message: string, fraction: number) => void;
  onLog?: (line: string) => void;
}

export interface ExporterResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  cancelled: boolean;
  done?: { pack: string; family: string; name: string };
  error?: { code: string; message: string };
  /** The last log lines, for an error message when the exporter died without an error event. */
  tail: string[];
}

export interface ExporterRun {
  done: Promise<ExporterResult>;
  cancel(): void;
}

export function exporterArgs(o: ExporterOptions): string[] {
  const args = ['-m', o.module ?? 'sealens.hfpack', 'init', '--src', o.src, '--out', o.out];
  if (o.layer !== undefined) args.push('--layer', String(o.layer));
  if (o.repo) args.push('--repo', o.repo);
  if (o.revision) args.push('--revision', o.revision);
  return args;
}

export function runExporter(o: ExporterOptions): ExporterRun {
  const parent = path.dirname(o.out);
  const base = path.basename(o.out);
  const before = new Set(existsSync(parent) ? readdirSync(parent) : []);
  const env = { ...(o.env ?? process.env), PYTHONUNBUFFERED: '1', PYTHONPATH: [o.pythonPath, (o.env ?? process.env).PYTHONPATH].filter(Boolean).join(path.delimiter) };
  const child = spawn(o.python, exporterArgs(o), { env, stdio: ['ignore', 'pipe', 'pipe'], windowsHide: true });
  const result: ExporterResult = { exitCode: null, signal: null, cancelled: false, tail: [] };
  const log = (line: string): void => {
    result.tail.push(line);
    if (result.tail.length > 20) result.tail.shift();
    o.onLog?.(line);
  };
  createInterface({ input: child.stdout }).on('line', (line) => {
    const ev = parseEvent(line);
    if (!ev) return log(line);
    if (ev.event === 'progress') o.onProgress?.(String(ev.message ?? ''), Math.max(0, Math.min(1, Number(ev.fraction) || 0)));
    else if (ev.event === 'done') result.done = { pack: String(ev.pack), family: String(ev.family), name: String(ev.name) };
    else if (ev.event === 'error') result.error = { code: String(ev.code), message: String(ev.message) };
    else log(line);
  });
  createInterface({ input: child.stderr }).on('line', log);
  let killTimer: NodeJS.Timeout | undefined;
  const done = new Promise<ExporterResult>((resolve) => {
    child.on('error', (e) => {
      result.error = { code: 'spawn', message: `cannot start ${o.python}: ${e.message}` };
      resolve(result);
    });
    child.on('close', (code, signal) => {
      clearTimeout(killTimer);
      result.exitCode = code;
      result.signal = signal;
      if (result.cancelled || code !== 0) removeTemporaries(parent, base, before);
      resolve(result);
    });
  });
  return {
    done,
    cancel() {
      if (result.cancelled || child.exitCode !== null || child.signalCode !== null) return;
      result.cancelled = true;
      child.kill('SIGTERM');
      killTimer = setTimeout(() => child.kill('SIGKILL'), 5000);
    },
  };
}

function parseEvent(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const v = JSON.parse(line);
    return v && typeof v === 'object' && typeof v.event === 'string' ? v : undefined;
  } catch {
    return undefined;
  }
}

/**
 * Entries that appeared beside --out during the run and carry its name (the exporter's temporary folder,
 * e.g. `.<name>.tmp-1234` or `<name>.partial`): a cancelled or failed run leaves nothing half-written.
 * The --out folder itself is never touched here: the exporter only renames it into place when done.
 */
function removeTemporaries(parent: string, base: string, before: Set<string>): void {
  if (!existsSync(parent)) return;
  for (const name of readdirSync(parent)) {
    if (before.has(name) || name === base || !name.includes(base)) continue;
    // Stopped between moving the previous pack aside (`.<name>.old-<pid>`) and moving the new one in:
    // put the previous pack back rather than lose it.
    if (/\.old-\d+$/.test(name) && !existsSync(path.join(parent, base))) {
      renameSync(path.join(parent, name), path.join(parent, base));
      continue;
    }
    rmSync(path.join(parent, name), { recursive: true, force: true });
  }
}
