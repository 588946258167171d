// NotebookSerializer for *.sealens: the bytes are read and written by src/notebook/notebookFile.ts (the
// same code the CLI uses); this file only maps them to VS Code's notebook types. A broken file throws, so
// VS Code shows the reason and never opens it empty (an empty notebook would be saved over the file).

import * as vscode from 'vscode';
import { CELL_LANGUAGE, type NotebookFileOutput } from '../../shared/notebookFormat';
import { formatNotebook, parseNotebook, type NotebookDoc, type NotebookDocCell, type NotebookDocOutput } from '../../notebook/notebookFile';
import { fromCellOutput, toCellOutput } from './cellOutputs';

/** Notebook metadata key holding the file's top-level keys this version does not know. */
const EXTRA = 'sealensExtra';

export class SeaLensNotebookSerializer implements vscode.NotebookSerializer {
  deserializeNotebook(content: Uint8Array): vscode.NotebookData {
    // The serializer is not told the file name; the message names the format instead.
    const doc = parseNotebook(new TextDecoder().decode(content), 'This SEA Lens notebook (.sealens)');
    const data = new vscode.NotebookData(doc.cells.map(toCellData));
    data.metadata = { [EXTRA]: doc.extra, version: doc.version };
    return data;
  }

  serializeNotebook(data: vscode.NotebookData): Uint8Array {
    const extra = (data.metadata?.[EXTRA] as Record<string, unknown> | undefined) ?? {};
    const doc: NotebookDoc = { version: 1, cells: data.cells.map(fromCellData), extra };
    return new TextEncoder().encode(formatNotebook(doc));
  }
}

function toCellData(c: NotebookDocCell): vscode.NotebookCellData {
  const kind = c.kind === 'code' ? vscode.NotebookCellKind.Code : vscode.NotebookCellKind.Markup;
  const cell = new vscode.NotebookCellData(kind, c.source, c.kind === 'code' ? CELL_LANGUAGE : 'markdown');
  cell.outputs = c.outputs.map((o) => toCellOutput(o, o.extra));
  cell.metadata = { [EXTRA]: c.extra };
  return cell;
}

function fromCellData(c: vscode.NotebookCellData): NotebookDocCell {
  const outputs: NotebookDocOutput[] = (c.outputs ?? []).flatMap((o) => fromCellOutput(o));
  return {
    kind: c.kind === vscode.NotebookCellKind.Code ? 'code' : 'markdown',
    source: c.value,
    outputs,
    extra: (c.metadata?.[EXTRA] as Record<string, unknown> | undefined) ?? {},
  };
}

export type { NotebookFileOutput };
