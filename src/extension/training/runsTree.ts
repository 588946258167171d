// Tree of training runs in the workspace (running / finished / failed / cancelled / interrupted) with
// their key numbers; refreshed by the run manager and by a file watcher on .sealens/runs.

import * as path from 'node:path';
import * as vscode from 'vscode';
import { listRuns, type RunInfo } from '../../training/runFolder';

const ICONS: Record<string, string> = { running: 'sync~spin', finished: 'pass', failed: 'error', cancelled: 'circle-slash', interrupted: 'debug-pause', new: 'circle-outline' };

export class RunItem extends vscode.TreeItem {
  constructor(readonly run: RunInfo) {
    super(run.id, vscode.TreeItemCollapsibleState.None);
    const s = run.summary;
    const after = s?.evaluation.after;
    // images/s is the throughput (runs before 2026-11-30 recorded only pairs/s)
    const ips = (s as { imagesPerSecond?: unknown } | undefined)?.imagesPerSecond;
    const speed = typeof ips === 'number' ? vscode.l10n.t('{0} images/s', ips) : vscode.l10n.t('{0} pairs/s', s?.pairsPerSecond ?? '–');
    this.description = s
      ? vscode.l10n.t('finished · agreement {0} · {1}', after?.labelAgreement !== undefined ? `${(after.labelAgreement * 100).toFixed(1)} %` : '–', speed)
      : run.lastStep ? vscode.l10n.t('{0} · step {1}/{2} · loss {3}', run.status, run.lastStep.step, run.lastStep.totalSteps, run.lastStep.loss.toFixed(3)) : run.status;
    if (run.status === 'failed') {
      // failed says so first, with the reason, in the error colour: not an "interrupted" run to resume blindly
      const reason = run.error ? run.error.split('\n')[0].slice(0, 120) : vscode.l10n.t('no reason recorded');
      this.description = run.lastStep ? vscode.l10n.t('failed at step {0}/{1} · {2}', run.lastStep.step, run.lastStep.totalSteps, reason) : vscode.l10n.t('failed · {0}', reason);
    }
    this.tooltip = run.error ? `${run.dir}\n${run.error}` : run.dir;
    this.iconPath = new vscode.ThemeIcon(ICONS[run.status] ?? 'circle-outline', run.status === 'failed' ? new vscode.ThemeColor('errorForeground') : undefined);
    this.contextValue = `seaLensRun.${run.status}`;
    this.command = { command: 'seaLens.openTrainingRun', title: vscode.l10n.t('Open Run'), arguments: [this] };
    this.resourceUri = vscode.Uri.file(path.join(run.dir, 'config.json'));
  }
}

export class RunsTree implements vscode.TreeDataProvider<RunItem> {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeTreeData = this.changed.event;

  constructor(private readonly root: () => string | undefined) {}

  refresh(): void {
    this.changed.fire();
  }

  getTreeItem(e: RunItem): vscode.TreeItem {
    return e;
  }

  getChildren(): RunItem[] {
    const r = this.root();
    return r ? listRuns(r).map((x) => new RunItem(x)) : [];
  }
}
