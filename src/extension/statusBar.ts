// The status-bar item: pack · adapter · device. The device is what the engine reports having used; when
// it fell back (e.g. WebGPU has no adapter here) the reason goes into the tooltip and, once per session
// and reason, into an information message. It is shown whenever an image editor, a SEA Lens view or a
// SEA Lens notebook is the active tab (lensContext.ts), from start-up on, and hidden elsewhere.

import * as path from 'node:path';
import * as vscode from 'vscode';
import type { DeviceNotice } from '../shared/engineProtocol';
import * as settings from './settings';
import { isLensTab, type TabDescription } from './lensContext';

export class LensStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('seaLens.status', vscode.StatusBarAlignment.Right, 100);
  private adapter: string | undefined;
  private device: DeviceNotice | undefined;
  private readonly shownReasons = new Set<string>();
  private readonly subscriptions: vscode.Disposable[];

  constructor(private readonly extensionUri: vscode.Uri) {
    this.item.name = vscode.l10n.t('SEA Lens');
    this.item.command = 'seaLens.selectAdapter';
    this.subscriptions = [
      vscode.window.tabGroups.onDidChangeTabs(() => this.updateVisibility()),
      vscode.window.tabGroups.onDidChangeTabGroups(() => this.updateVisibility()),
    ];
    this.render();
  }

  /** Shown while an image editor, a SEA Lens view or notebook is active; hidden in other editors. */
  updateVisibility(): void {
    if (isLensTab(describeTab(vscode.window.tabGroups.activeTabGroup.activeTab))) this.item.show();
    else this.item.hide();
  }

  setAdapter(name: string): void {
    this.adapter = name;
    this.render();
  }

  setDevice(notice: DeviceNotice): void {
    // Requests that do not carry the device setting (e.g. reading a pack) report "auto"; they say
    // nothing about the device the user chose.
    if (notice.requested !== settings.device()) return;
    this.device = notice;
    this.render();
    if (notice.reason && !this.shownReasons.has(notice.reason)) {
      this.shownReasons.add(notice.reason);
      void vscode.window.showInformationMessage(vscode.l10n.t('SEA Lens runs on {0} instead of {1}: {2}', notice.used, notice.requested, notice.reason));
    }
  }

  render(): void {
    let packLabel: string;
    let packDir: string;
    try {
      const p = settings.resolvePack(this.extensionUri);
      packLabel = p.embedded ? vscode.l10n.t('demo pack') : path.basename(p.dir);
      packDir = p.dir;
    } catch (e) {
      packLabel = vscode.l10n.t('no pack');
      packDir = (e as Error).message;
    }
    const adapter = this.adapter ?? settings.adapterSetting() ?? vscode.l10n.t('default adapter');
    const device = this.device?.used ?? settings.device();
    this.item.text = `$(eye) ${packLabel} · ${adapter} · ${device}`;
    const tip = new vscode.MarkdownString(undefined, true);
    tip.isTrusted = false;
    tip.appendMarkdown(`**SEA Lens**\n\n`);
    tip.appendText(`${vscode.l10n.t('Pack')}: ${packDir}\n${vscode.l10n.t('Adapter')}: ${adapter}\n${vscode.l10n.t('Device')}: ${device}`);
    if (this.device?.reason) tip.appendText(`\n${vscode.l10n.t('Fallback')}: ${this.device.requested} → ${this.device.used}: ${this.device.reason}`);
    tip.appendMarkdown(`\n\n${vscode.l10n.t('Click to select the adapter.')}`);
    this.item.tooltip = tip;
    this.updateVisibility();
  }

  dispose(): void {
    for (const d of this.subscriptions) d.dispose();
    this.item.dispose();
  }
}

function describeTab(tab: vscode.Tab | undefined): TabDescription | undefined {
  const input = tab?.input;
  if (input instanceof vscode.TabInputCustom) return { kind: 'custom', viewType: input.viewType, path: input.uri.fsPath };
  if (input instanceof vscode.TabInputWebview) return { kind: 'webview', viewType: input.viewType };
  if (input instanceof vscode.TabInputNotebook) return { kind: 'notebook', viewType: input.notebookType, path: input.uri.fsPath };
  if (input instanceof vscode.TabInputText) return { kind: 'text', path: input.uri.fsPath };
  return tab ? { kind: 'other' } : undefined;
}
