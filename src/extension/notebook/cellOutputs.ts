// One SEA Lens output ↔ one VS Code NotebookCellOutput: the primary item (e.g. the TokenMap) followed by
// derived text/html and text/plain items for viewers without the renderer. Only the primary item is
// written to the file; the derived ones are rebuilt on load, which keeps saved notebooks small and diffs
// readable.

import * as vscode from 'vscode';
import type { NotebookFileOutput } from '../../shared/notebookFormat';
import { decodeOutputData, encodeOutputData, type NotebookDocOutput } from '../../notebook/notebookFile';
import { fallbackOutputs } from '../../notebook/outputFallbacks';

const META = 'sealens';

interface OutputMeta {
  /** Number of items after the first that were derived from it (and are not saved). */
  derived: number;
  /** Keys of the saved output this version does not know, written back unchanged. */
  extra: Record<string, unknown>;
}

export function toCellOutput(o: NotebookFileOutput, extra: Record<string, unknown> = {}): vscode.NotebookCellOutput {
  const derived = fallbackOutputs(o);
  const items = [o, ...derived].map((x) => new vscode.NotebookCellOutputItem(decodeOutputData(x.mime, x.data), x.mime));
  const meta: OutputMeta = { derived: derived.length, extra };
  return new vscode.NotebookCellOutput(items, { [META]: meta });
}

export function fromCellOutput(o: vscode.NotebookCellOutput): NotebookDocOutput[] {
  const meta = o.metadata?.[META] as OutputMeta | undefined;
  // Outputs SEA Lens did not make (none today) keep every item, one saved output each.
  const items = meta ? o.items.slice(0, 1) : o.items;
  return items.map((item) => ({ mime: item.mime, data: encodeOutputData(item.mime, item.data), extra: meta?.extra ?? {} }));
}
