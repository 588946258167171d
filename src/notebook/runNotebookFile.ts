// `sea-lens notebook run`: read a .sealens file, run every code cell with the engine, write the outputs
// back (in place, or to --out) and optionally a self-contained HTML report. A broken notebook file is
// refused before anything runs, and never overwritten.

import { readFile, writeFile, rename, stat } from 'node:fs/promises';
import { basename, dirname, resolve } from 'node:path';
import { LIMITS } from '../shared/mediaLimits';
import { formatNotebook, NotebookFormatError, parseNotebook } from './notebookFile';
import { htmlReport } from './htmlReport';
import { runNotebook, type CellSummary, type NotebookRunSummary } from './runNotebook';
import type { NotebookEngine } from './runCell';

export interface RunNotebookFileOptions {
  engine: NotebookEngine;
  /** Absolute pack folder used unless a cell says `pack <dir>`. */
  pack: string;
  /** The installed demo folder that `demo:` paths resolve against (see resolveCellPath). */
  demoDir?: string;
  /** Run-wide notes such as the device fallback, for the caller to show once. */
  onNotice?: (note: string) => void;
  /** Where to write the executed notebook (default: the input file). */
  out?: string;
  /** Where to write the HTML report (default: none). */
  html?: string;
  /** Text of the renderer bundle to inline in the report (see htmlReport). */
  rendererScript?: string;
  signal?: AbortSignal;
  onCell?: (s: CellSummary) => void;
}

export async function runNotebookFile(file: string, opts: RunNotebookFileOptions): Promise<NotebookRunSummary> {
  const abs = resolve(file);
  // Only a regular file of a sane size is read (a FIFO would block, a device never end). Each of these is
  // "a notebook file that cannot be read" (NotebookFormatError: the CLI's documented exit 2).
  const unreadable = (err: NodeJS.ErrnoException) => new NotebookFormatError(`cannot read ${file}: ${err.code === 'ENOENT' ? 'no such file; check the path' : err.message}`);
  const st = await stat(abs).catch((err: NodeJS.ErrnoException) => {
    throw unreadable(err);
  });
  if (!st.isFile()) throw new NotebookFormatError(`cannot read ${file}: ${st.isDirectory() ? 'a folder' : 'not a regular file'}, not a .sealens notebook; give the path of a .sealens file`);
  if (st.size > LIMITS.maxNotebookBytes) {
    throw new NotebookFormatError(`${file} is ${(st.size / 1024 / 1024).toFixed(1)} MiB; notebooks up to ${LIMITS.maxNotebookBytes / 1024 / 1024} MiB are supported (clear some outputs, or split it)`);
  }
  const text = await readFile(abs, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw unreadable(err);
  });
  const doc = parseNotebook(text, file);
  const { doc: executed, summary } = await runNotebook(doc, { engine: opts.engine, pack: opts.pack, baseDir: dirname(abs), demoDir: opts.demoDir, onNotice: opts.onNotice, signal: opts.signal }, opts.onCell);
  await writeAtomic(resolve(opts.out ?? abs), formatNotebook(executed));
  if (opts.html) await writeAtomic(resolve(opts.html), htmlReport(executed, { title: basename(file), rendererScript: opts.rendererScript }));
  return summary;
}

/** Write to a temporary file beside the target and rename, so an interrupted run never leaves half a file. */
async function writeAtomic(target: string, text: string): Promise<void> {
  const tmp = `${target}.${process.pid}.tmp`;
  await writeFile(tmp, text, 'utf8');
  await rename(tmp, target);
}
