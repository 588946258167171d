// SEA fine-tuning from the command palette: "Train SEA Adapter…" (guided picks → .sealens/runs/<id>/
// config.json → trainer), "Rerun Training…" (the same picks, prefilled), "Sweep λ…", resume, cancel,
// delete, the runs tree, the run view with live charts, a cancellable progress notification, the log
// channel, and before/after "Compare adapters" at the end.

import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { EngineRequester, ViewDeps } from '../lensView';
import { ImagePreviews } from '../imagePreviews';
import { launchTraining, type TrainingProcess } from '../../training/launcher';
import { trainerPythonPath } from '../../training/pythonInterpreter';
import { readRunConfig, resolveConfigPath } from '../../training/runConfig';
import { createRun, listRuns, readEvents, runInfo, type RunInfo } from '../../training/runFolder';
import { slurmScript } from '../../training/slurmScript';
import { createDemoDataset } from './createDemoDataset';
import { checkTrainingInterpreter } from './interpreterCheck';
import type { FromRunView, ProgressEvent, RunConfig } from '../../shared/trainingProtocol';
import { resolveTrainingPython } from './trainingPython';
import { RunItem, RunsTree } from './runsTree';
import { RunView, RUN_VIEW_TYPE } from './runView';
import { openRunCompare, restoreRunCompare, runCompareImage, RUN_COMPARE_VIEW_TYPE } from './runCompare';
import { askRunConfig } from './trainingWizard';
import { useRunAdapter } from './useRunAdapter';
import { confirmAndDeleteRun } from './deleteRunCommand';
import { askLambdas, runSweep } from './sweepCommand';
import { absoluteConfig } from '../../training/lambdaSweep';
import { RESUMABLE_STATUSES, runContextKeys } from './runContextKeys';

interface Active { proc: TrainingProcess; dir: string }

export function registerTraining(context: vscode.ExtensionContext, engine?: EngineRequester): void {
  const log = vscode.window.createOutputChannel('SEA Lens Training', { log: true });
  const root = (): string | undefined => vscode.workspace.workspaceFolders?.[0]?.uri.fsPath;
  const tree = new RunsTree(root);
  const active = new Map<string, Active>();
  const views = new Map<string, RunView>();
  // The palette shows each run command only where it has a run to act on (runContextKeys).
  const syncContext = (): void => {
    const ws = root();
    let runs: RunInfo[] = [];
    try {
      runs = ws ? listRuns(ws) : [];
    } catch {
      // an unreadable .sealens/runs folder: no runs to offer (the tree says why when opened)
    }
    for (const [key, value] of Object.entries(runContextKeys(runs, new Set(active.keys())))) void vscode.commands.executeCommand('setContext', key, value);
  };
  const refresh = (): void => {
    tree.refresh();
    syncContext();
  };
  const deps: ViewDeps | undefined = engine ? { extensionUri: context.extensionUri, engine, log, previews: new ImagePreviews(context.globalStorageUri) } : undefined;

  const needTrust = (): boolean => {
    if (vscode.workspace.isTrusted) return true;
    void vscode.window.showErrorMessage(vscode.l10n.t('Training runs Python on files of this workspace; SEA Lens only does that in a trusted workspace. Trust it via "Workspaces: Manage Workspace Trust".'));
    return false;
  };

  const openView = (run: RunInfo): RunView => {
    const existing = views.get(run.dir);
    if (existing) {
      existing.panel.reveal();
      return existing;
    }
    const panel = vscode.window.createWebviewPanel(RUN_VIEW_TYPE, vscode.l10n.t('Training: {0}', run.id), vscode.ViewColumn.Active, { enableScripts: true, retainContextWhenHidden: true });
    const view = new RunView(panel, context.extensionUri, { runId: run.id, status: run.status, config: safeConfig(run.dir), events: readEvents(run.dir) }, (m) => onViewMessage(run.dir, m), log);
    views.set(run.dir, view);
    panel.onDidDispose(() => {
      views.delete(run.dir);
      view.dispose();
    });
    return view;
  };

  const onViewMessage = (dir: string, m: FromRunView): void => {
    if (m.kind === 'cancel') active.get(dir)?.proc.cancel();
    else if (m.kind === 'resume') void start(dir);
    else if (m.kind === 'compare') compare(runInfo(dir));
    else if (m.kind === 'showLog') log.show();
  };

  const compare = (run: RunInfo): void => {
    const s = run.summary;
    if (!s) {
      void vscode.window.showWarningMessage(vscode.l10n.t('Run {0} has not finished; there is nothing to compare yet.', run.id));
      return;
    }
    if (!deps) {
      void vscode.window.showWarningMessage(vscode.l10n.t('Comparing needs the SEA Lens engine, which is not available in this window.'));
      return;
    }
    // the first image the run was evaluated on (its dataset's first for older runs); "Choose Image…" switches
    const image = runCompareImage(run.dir, s);
    if (!image) {
      void vscode.window.showWarningMessage(vscode.l10n.t('No image of the dataset of run {0} is readable to compare on.', run.id));
      return;
    }
    openRunCompare(deps, vscode.Uri.file(image), { id: run.id, dir: run.dir, summary: s });
  };

  const start = async (dir: string): Promise<void> => {
    if (!needTrust()) return;
    if (active.has(dir)) {
      void vscode.window.showWarningMessage(vscode.l10n.t('Run {0} is already running.', path.basename(dir)));
      return;
    }
    let proc: TrainingProcess;
    let progressHook: ((e: ProgressEvent) => void) | undefined;
    try {
      const py = await resolveTrainingPython((l) => log.info(l));
      const view = openView(runInfo(dir));
      const collected: ProgressEvent[] = [];
      let flush: NodeJS.Timeout | undefined;
      proc = launchTraining({
        python: py.executable, pythonPath: trainerPythonPath(context.extensionUri.fsPath), configFile: path.join(dir, 'config.json'), runDir: dir,
        onEvent: (e) => {
          collected.push(e);
          // batch UI updates: at most ~5 per second however fast the steps are
          flush ??= setTimeout(() => {
            flush = undefined;
            views.get(dir)?.push(collected.splice(0), 'running');
          }, 200);
          progressHook?.(e);
          if (e.event === 'warning') log.warn(e.message);
          else if (e.event === 'error') log.error(e.message);
          else if (e.event !== 'step') log.info(JSON.stringify(e));
        },
        onLog: (l) => log.info(l),
      });
      view.reset({ runId: path.basename(dir), status: 'running', config: safeConfig(dir), events: readEvents(dir) });
    } catch (e) {
      log.error((e as Error).message);
      void vscode.window.showErrorMessage((e as Error).message);
      return;
    }
    active.set(dir, { proc, dir });
    refresh();
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('SEA Lens: training {0}', path.basename(dir)), cancellable: true },
      async (progress, token) => {
        token.onCancellationRequested(() => proc.cancel());
        let done = 0;
        progressHook = (e): void => {
          if (e.event === 'start') {
            done = e.resumedFrom ? (100 * e.resumedFrom) / e.totalSteps : 0;
            progress.report({ increment: done, message: vscode.l10n.t('{0} steps', e.totalSteps) });
          } else if (e.event === 'step') {
            const pct = (100 * e.step) / e.totalSteps;
            progress.report({ increment: pct - done, message: vscode.l10n.t('step {0}/{1} · loss {2}', e.step, e.totalSteps, e.loss.toFixed(3)) });
            done = pct;
          } else if (e.event === 'phase') progress.report({ message: e.message });
        };
        return proc.done;
      },
    );
    active.delete(dir);
    refresh();
    views.get(dir)?.reset({ runId: path.basename(dir), status: runInfo(dir).status, config: safeConfig(dir), events: readEvents(dir) });
    if (result.outcome === 'finished') {
      const compareLabel = vscode.l10n.t('Compare Before/After');
      const useLabel = vscode.l10n.t('Use This Adapter');
      const pick = await vscode.window.showInformationMessage(vscode.l10n.t('Training {0} finished: adapter exported to {1}.', path.basename(dir), result.summary?.exported.safetensors ?? ''), compareLabel, ...(result.summary ? [useLabel] : []));
      if (pick === compareLabel) compare(runInfo(dir));
      if (pick === useLabel && result.summary) await useRunAdapter(context.extensionUri, { id: path.basename(dir), summary: result.summary });
    } else if (result.outcome === 'cancelled') {
      void vscode.window.showInformationMessage(vscode.l10n.t('Training {0} cancelled; a checkpoint was written. Resume it from the runs view.', path.basename(dir)));
    } else {
      void vscode.window.showErrorMessage(vscode.l10n.t('Training {0} failed: {1}', path.basename(dir), result.error ?? ''), vscode.l10n.t('Show Log')).then((p) => p && log.show());
    }
  };

  const pickRun = async (arg: unknown, filter: (r: RunInfo) => boolean, title: string): Promise<RunInfo | undefined> => {
    if (arg instanceof RunItem) return arg.run;
    const r = root();
    const runs = r ? listRuns(r).filter(filter) : [];
    if (!runs.length) {
      void vscode.window.showInformationMessage(vscode.l10n.t('No matching training runs in this workspace.'));
      return undefined;
    }
    const p = await vscode.window.showQuickPick(runs.map((x) => ({ label: x.id, description: x.status, run: x })), { title });
    return p?.run;
  };

  const askCount = (title: string, value: number, min: number, prompt: string): Thenable<string | undefined> => vscode.window.showInputBox({
    title, value: String(value), prompt,
    validateInput: (v) => (/^\d+$/.test(v.trim()) && +v >= min && +v <= 4096 ? undefined : vscode.l10n.t('A whole number from {0} to 4096', min)),
  });

  // An sbatch file for the run's config on several nodes; nothing is started here (the cluster runs it).
  const exportSlurm = async (run: RunInfo): Promise<void> => {
    const nodes = await askCount(vscode.l10n.t('Export Slurm Script (1/2): nodes'), 2, 1, vscode.l10n.t('Nodes of the Slurm job'));
    if (!nodes) return;
    const gpus = await askCount(vscode.l10n.t('Export Slurm Script (2/2): GPUs per node'), 1, 0, vscode.l10n.t('One training process per GPU; 0 trains on CPUs with one process per node'));
    if (!gpus) return;
    const target = await vscode.window.showSaveDialog({ defaultUri: vscode.Uri.file(path.join(run.dir, 'train.sbatch')), filters: { [vscode.l10n.t('Slurm batch script')]: ['sbatch', 'sh'] }, title: vscode.l10n.t('Save the Slurm script') });
    if (!target) return;
    try {
      const configFile = path.join(run.dir, 'config.json');
      const cfg = readRunConfig(configFile);
      writeFileSync(target.fsPath, slurmScript({ configFile, runDir: run.dir, nodes: +nodes, gpusPerNode: +gpus, device: cfg.device, jobName: `sealens-${cfg.outputName}`, resources: cfg.slurm && { time: cfg.slurm.time, mem: cfg.slurm.mem, partition: cfg.slurm.partition, account: cfg.slurm.account, cpusPerTask: cfg.slurm.cpusPerTask } }), { mode: 0o755 });
      await vscode.window.showTextDocument(target);
      void vscode.window.showInformationMessage(vscode.l10n.t('Slurm script written. Submit it from the run folder (cd {0} && sbatch {1}), which must be on a file system all nodes share; set SEALENS_PYTHONPATH to {2} (or a copy the nodes can read).', run.dir, target.fsPath, trainerPythonPath(context.extensionUri.fsPath)));
    } catch (e) {
      void vscode.window.showErrorMessage(vscode.l10n.t('Could not write the Slurm script: {0}', (e as Error).message));
    }
  };

  const watcher = vscode.workspace.createFileSystemWatcher('**/.sealens/runs/*/{summary.json,config.json}');
  context.subscriptions.push(
    log, watcher, vscode.commands.registerCommand('seaLens.createDemoDataset', () => createDemoDataset(context, (l) => log.info(l))),
    watcher.onDidCreate(refresh), watcher.onDidChange(refresh), watcher.onDidDelete(refresh),
    vscode.workspace.onDidChangeWorkspaceFolders(refresh),
    vscode.window.registerTreeDataProvider('seaLens.trainingRuns', tree),
    vscode.window.registerWebviewPanelSerializer(RUN_COMPARE_VIEW_TYPE, {
      deserializeWebviewPanel: async (panel, state) => {
        const ws = root();
        if (deps && ws) restoreRunCompare(deps, panel, state, listRuns(ws));
        else panel.dispose(); // no engine or no folder: nothing could be drawn
      },
    }),
    vscode.commands.registerCommand('seaLens.trainAdapter', async () => {
      const ws = root();
      if (!ws) {
        void vscode.window.showErrorMessage(vscode.l10n.t('Open a folder first: training runs are kept in its .sealens/runs folder.'));
        return;
      }
      if (!needTrust()) return;
      if (!(await checkTrainingInterpreter((l) => log.info(l)))) return;
      const cfg = await askRunConfig(context.extensionUri);
      if (!cfg) return;
      const { dir } = createRun(ws, cfg);
      await start(dir);
    }),
    vscode.commands.registerCommand('seaLens.rerunTraining', async (arg?: unknown) => {
      const ws = root();
      const run = await pickRun(arg, () => true, vscode.l10n.t('Rerun which training (its config.json, possibly edited, in a new run folder)?'));
      if (!run || !ws || !needTrust()) return;
      try {
        const file = path.join(run.dir, 'config.json');
        const abs = absoluteConfig(file, readRunConfig(file));
        // the wizard, prefilled with the run's values, so a rerun can be changed before it starts
        if (!(await checkTrainingInterpreter((l) => log.info(l)))) return;
        const edited = await askRunConfig(context.extensionUri, abs);
        if (!edited) return;
        await start(createRun(ws, edited).dir);
      } catch (e) {
        void vscode.window.showErrorMessage((e as Error).message);
      }
    }),
    vscode.commands.registerCommand('seaLens.resumeTraining', async (arg?: unknown) => {
      const run = await pickRun(arg, (r) => RESUMABLE_STATUSES.includes(r.status) && !active.has(r.dir), vscode.l10n.t('Resume which training run?'));
      if (run) await start(run.dir);
    }),
    vscode.commands.registerCommand('seaLens.cancelTraining', async (arg?: unknown) => {
      const run = await pickRun(arg, (r) => active.has(r.dir), vscode.l10n.t('Cancel which training run?'));
      if (run) active.get(run.dir)?.proc.cancel();
    }),
    vscode.commands.registerCommand('seaLens.openTrainingRun', async (arg?: unknown) => {
      const run = await pickRun(arg, () => true, vscode.l10n.t('Open which training run?'));
      if (run) openView(run);
    }),
    vscode.commands.registerCommand('seaLens.exportSlurmScript', async (arg?: unknown) => {
      const run = await pickRun(arg, () => true, vscode.l10n.t('Export a Slurm script for which run config?'));
      if (run) await exportSlurm(run);
    }),
    vscode.commands.registerCommand('seaLens.sweepLambda', async (arg?: unknown) => {
      const ws = root();
      if (!ws) {
        void vscode.window.showErrorMessage(vscode.l10n.t('Open a folder first: training runs are kept in its .sealens/runs folder.'));
        return;
      }
      if (!needTrust() || !(await checkTrainingInterpreter((l) => log.info(l)))) return;
      try {
        // a run's config (the runs view's item, or picked) or, with no runs yet, the wizard's answers
        let base: RunConfig | undefined;
        if (arg instanceof RunItem || listRuns(ws).length) {
          const run = await pickRun(arg, () => true, vscode.l10n.t('Sweep λ over which run\'s config?'));
          if (!run) return;
          const file = path.join(run.dir, 'config.json');
          base = absoluteConfig(file, readRunConfig(file));
        } else {
          base = await askRunConfig(context.extensionUri);
        }
        const lambdas = base && (await askLambdas(base));
        if (base && lambdas) await runSweep(ws, base, lambdas, start);
      } catch (e) {
        void vscode.window.showErrorMessage((e as Error).message);
      }
    }),
    vscode.commands.registerCommand('seaLens.deleteTrainingRun', async (arg?: unknown) => {
      const ws = root();
      const run = await pickRun(arg, (r) => !active.has(r.dir), vscode.l10n.t('Delete which training run?'));
      if (!run || !ws) return;
      if (active.has(run.dir)) {
        void vscode.window.showWarningMessage(vscode.l10n.t('Run {0} is running; cancel it before deleting it.', run.id));
        return;
      }
      const cfg = safeConfig(run.dir);
      if (await confirmAndDeleteRun(ws, run, cfg.pack ? resolveConfigPath(path.join(run.dir, 'config.json'), cfg.pack) : undefined)) {
        views.get(run.dir)?.panel.dispose();
        refresh();
      }
    }),
    vscode.commands.registerCommand('seaLens.compareTrainingRun', async (arg?: unknown) => {
      const run = await pickRun(arg, (r) => r.status === 'finished', vscode.l10n.t('Compare which finished run?'));
      if (run) compare(runInfo(run.dir));
    }),
    { dispose: () => { for (const a of active.values()) a.proc.cancel(); } },
  );
  syncContext();
}

function safeConfig(dir: string): RunConfig {
  try {
    return readRunConfig(path.join(dir, 'config.json'));
  } catch {
    return { formatVersion: 1, pack: '', dataset: '', outputName: '' };
  }
}

