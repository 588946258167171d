// The SEA Lens notebook kernel: runs sealens-cell cells one after another through the engine process,
// shows execution order and timing, and stops on cancel or interrupt (every queued and running cell of
// the notebook is aborted, and the engine is told to drop the request). A failing cell ends with an
// error output on that cell; the controller itself never throws.

import * as vscode from 'vscode';
import type { PackInfo } from '../../shared/engineProtocol';
import { CELL_LANGUAGE, NOTEBOOK_TYPE } from '../../shared/notebookFormat';
import { errorOutput, runCell, type NotebookEngine } from '../../notebook/runCell';
import { toCellOutput } from './cellOutputs';
import { configuredPack, demoFolder, notebookBaseDir } from './notebookEngine';

export class SeaLensNotebookController implements vscode.Disposable {
  private readonly controller: vscode.NotebookController;
  private executionOrder = 0;
  /** Aborts of the runs in progress or queued, per notebook, for the interrupt handler. */
  private readonly running = new Map<string, Set<AbortController>>();
  /** One queue per notebook so cells run in order even when several runs are requested at once. */
  private readonly queues = new Map<string, Promise<void>>();
  readonly packCache = new Map<string, Promise<PackInfo>>();

  constructor(private readonly engine: NotebookEngine, private readonly extensionUri: vscode.Uri) {
    this.controller = vscode.notebooks.createNotebookController('sealens-kernel', NOTEBOOK_TYPE, 'SEA Lens');
    this.controller.supportedLanguages = [CELL_LANGUAGE];
    this.controller.supportsExecutionOrder = true;
    this.controller.description = vscode.l10n.t('Visual tokens → nearest LLM words');
    this.controller.executeHandler = (cells, notebook) => this.execute(cells, notebook);
    this.controller.interruptHandler = (notebook) => this.interrupt(notebook);
  }

  dispose(): void {
    for (const set of this.running.values()) for (const a of set) a.abort();
    this.controller.dispose();
  }

  private execute(cells: vscode.NotebookCell[], notebook: vscode.NotebookDocument): Promise<void> {
    const key = notebook.uri.toString();
    const aborts = this.running.get(key) ?? new Set<AbortController>();
    this.running.set(key, aborts);
    // Each cell gets its abort now, so an interrupt also drops cells that are still queued.
    const queued = cells.flatMap((cell) => {
      let execution: vscode.NotebookCellExecution;
      try {
        execution = this.controller.createNotebookCellExecution(cell);
      } catch {
        return []; // the cell is already queued or running: VS Code refuses a second execution
      }
      const abort = new AbortController();
      aborts.add(abort);
      return [{ cell, abort, execution }];
    });
    const previous = this.queues.get(key) ?? Promise.resolve();
    const run = previous.then(async () => {
      for (const q of queued) {
        try {
          await this.runOne(q.execution, notebook, q.abort);
        } finally {
          aborts.delete(q.abort);
        }
      }
    });
    this.queues.set(key, run.catch(() => undefined));
    return run;
  }

  private interrupt(notebook: vscode.NotebookDocument): void {
    for (const a of this.running.get(notebook.uri.toString()) ?? []) a.abort();
  }

  private async runOne(execution: vscode.NotebookCellExecution, notebook: vscode.NotebookDocument, abort: AbortController): Promise<void> {
    execution.executionOrder = ++this.executionOrder;
    execution.start(Date.now());
    const sub = execution.token.onCancellationRequested(() => abort.abort());
    try {
      if (abort.signal.aborted) {
        execution.end(false, Date.now());
        return;
      }
      await execution.clearOutput();
      if (!vscode.workspace.isTrusted) {
        const msg = vscode.l10n.t('This workspace is not trusted. SEA Lens runs model packs only in trusted workspaces: use "Manage Workspace Trust" to trust it.');
        await execution.replaceOutput([toCellOutput(errorOutput('SEA Lens', msg))]);
        execution.end(false, Date.now());
        return;
      }
      const result = await runCell(execution.cell.document.getText(), {
        engine: this.engine,
        baseDir: notebookBaseDir(notebook),
        demoDir: demoFolder(this.extensionUri),
        pack: configuredPack(this.extensionUri),
        signal: abort.signal,
        packCache: this.packCache,
      });
      await execution.replaceOutput(result.outputs.map((o) => toCellOutput(o)));
      execution.end(result.status === 'ok', Date.now());
    } catch (err) {
      // Anything unexpected still ends as an output on the cell, never as a failed kernel.
      await execution.replaceOutput([toCellOutput(errorOutput('SEA Lens: internal error', String((err as Error)?.stack ?? err)))]).then(undefined, () => undefined);
      execution.end(false, Date.now());
    } finally {
      sub.dispose();
    }
  }
}
