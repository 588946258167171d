// Runs every code cell of a notebook, top to bottom, and writes the outputs into the document — the
// headless counterpart of "Run All" (like executing a Jupyter notebook from the command line). A failed
// cell keeps its error output and the run goes on, so one report shows every problem at once.

import type { PackInfo } from '../shared/engineProtocol';
import type { NotebookDoc } from './notebookFile';
import { runCell, type RunContext } from './runCell';

export interface CellSummary {
  index: number;
  status: 'ok' | 'error' | 'cancelled';
  ms: number;
  outputs: number;
  /** First line of the error message when status is 'error'. */
  error?: string;
}

export interface NotebookRunSummary {
  cells: CellSummary[];
  ms: number;
}

/** Returns a new document with fresh outputs on every code cell; the input is not modified. */
export async function runNotebook(
  doc: NotebookDoc,
  ctx: RunContext,
  onCell?: (s: CellSummary) => void,
): Promise<{ doc: NotebookDoc; summary: NotebookRunSummary }> {
  const t0 = performance.now();
  const packCache = ctx.packCache ?? new Map<string, Promise<PackInfo>>();
  const cells: CellSummary[] = [];
  const out: NotebookDoc = { ...doc, cells: [] };
  for (const [index, cell] of doc.cells.entries()) {
    if (cell.kind !== 'code' || ctx.signal?.aborted) {
      out.cells.push(cell);
      continue;
    }
    const t = performance.now();
    const r = await runCell(cell.source, { ...ctx, packCache });
    out.cells.push({ ...cell, outputs: r.outputs.map((o) => ({ ...o, extra: {} })) });
    const s: CellSummary = { index, status: r.status, ms: performance.now() - t, outputs: r.outputs.length };
    if (r.status === 'error') s.error = String((r.outputs.at(-1)?.data as { message?: string })?.message ?? '').split('\n')[0];
    cells.push(s);
    onCell?.(s);
  }
  return { doc: out, summary: { cells, ms: performance.now() - t0 } };
}
