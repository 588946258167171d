// The SEA Lens commands. URI-taking commands come from menus (Explorer, editor title) and, from the
// command palette, ask for the image with a file picker.

import * as fs from 'node:fs/promises';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { IMAGE_EXTENSIONS, isSupportedImage } from './imageTypes';
import type { ViewRegistry } from './viewRegistry';
import type { EngineRequester } from './lensView';
import { describeError, notifyError } from './engineErrors';
import * as settings from './settings';
import { checkEnvironment } from './checkEnvironment';
import { installGpuSupport } from './gpuInstall';
import { openHfModel } from './openHfModel';
import { pickAdapterChoice } from './training/adapterChoicesHost';

export interface CommandDeps {
  views: ViewRegistry;
  engine: EngineRequester;
  log: vscode.LogOutputChannel;
  extensionUri: vscode.Uri;
  /** The extension's global storage (downloads are kept there, never in the install folder). */
  globalStorageUri: vscode.Uri;
  onAdapterChosen(name: string): void;
}

async function pickImage(title: string): Promise<vscode.Uri | undefined> {
  const picked = await vscode.window.showOpenDialog({
    title,
    canSelectMany: false,
    filters: { [vscode.l10n.t('Images')]: [...IMAGE_EXTENSIONS] },
    defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri,
  });
  return picked?.[0];
}

/** Menus pass the clicked URI; the palette passes nothing; an active image preview can supply it too. */
async function imageArg(arg: unknown, title: string): Promise<vscode.Uri | undefined> {
  const uri = arg instanceof vscode.Uri ? arg : await pickImage(title);
  if (!uri) return undefined;
  if (uri.scheme !== 'file') {
    void vscode.window.showErrorMessage(vscode.l10n.t('SEA Lens reads local files only; {0} is not one. Save the image to disk first.', uri.toString()));
    return undefined;
  }
  if (!isSupportedImage(uri.fsPath)) {
    void vscode.window.showErrorMessage(vscode.l10n.t('SEA Lens explains {0} images; {1} is not one of them.', IMAGE_EXTENSIONS.join(', '), path.basename(uri.fsPath)));
    return undefined;
  }
  return uri;
}

export function registerCommands(deps: CommandDeps): vscode.Disposable[] {
  const { views, log } = deps;
  return [
    vscode.commands.registerCommand('seaLens.explain', async (arg?: unknown) => {
      const uri = await imageArg(arg, vscode.l10n.t('Explain the visual tokens of an image'));
      if (uri) views.openExplain(uri);
    }),
    vscode.commands.registerCommand('seaLens.compareAdapters', async (arg?: unknown) => {
      const uri = await imageArg(arg, vscode.l10n.t('Compare two adapters on an image'));
      if (uri) views.openCompare(uri);
    }),
    vscode.commands.registerCommand('seaLens.showLog', () => log.show()),
    vscode.commands.registerCommand('seaLens.checkEnvironment', () => checkEnvironment()),
    vscode.commands.registerCommand('seaLens.installGpuSupport', () => installGpuSupport(deps.globalStorageUri, log)),
    vscode.commands.registerCommand('seaLens.selectPack', () => selectPack(deps)),
    vscode.commands.registerCommand('seaLens.openHfModel', () => openHfModel(deps)),
    vscode.commands.registerCommand('seaLens.selectAdapter', () => selectAdapter(deps)),
  ];
}

function settingsTarget(): vscode.ConfigurationTarget {
  return vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
}

async function selectPack(deps: CommandDeps): Promise<void> {
  const demo = { label: vscode.l10n.t('$(package) Embedded demo pack'), description: settings.embeddedPackDir(deps.extensionUri), id: 'demo' };
  const folder = { label: vscode.l10n.t('$(folder-opened) Choose a pack folder…'), description: vscode.l10n.t('a folder with manifest.json'), id: 'folder' };
  const pick = await vscode.window.showQuickPick([demo, folder], { title: vscode.l10n.t('SEA Lens: Select Model Pack') });
  if (!pick) return;
  const config = vscode.workspace.getConfiguration('seaLens');
  if (pick.id === 'demo') {
    await config.update('pack', '', settingsTarget());
    return;
  }
  const dirs = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: vscode.l10n.t('Model pack folder (holds manifest.json)') });
  const dir = dirs?.[0]?.fsPath;
  if (!dir) return;
  try {
    await fs.access(path.join(dir, 'manifest.json'));
  } catch {
    void vscode.window.showErrorMessage(vscode.l10n.t('{0} has no manifest.json, so it is not a SEA Lens model pack. See docs/model-pack.md for the format.', dir));
    return;
  }
  try {
    settings.assertTrustedPack(dir);
    const info = await deps.engine.request('engine/packInfo', { pack: dir });
    await config.update('pack', dir, settingsTarget());
    void vscode.window.showInformationMessage(vscode.l10n.t('SEA Lens now uses the pack "{0}" ({1} adapters).', info.name, info.adapters.length));
  } catch (e) {
    await notifyError(describeError(e));
  }
}

async function selectAdapter(deps: CommandDeps): Promise<void> {
  try {
    const { dir } = settings.resolvePack(deps.extensionUri);
    const info = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: vscode.l10n.t('SEA Lens: reading the pack') }, () =>
      deps.engine.request('engine/packInfo', { pack: dir }));
    const current = settings.adapterSetting() ?? info.defaultAdapter;
    // the pack's adapters and its training runs' (labelled by run), as in every other adapter picker
    const pick = await pickAdapterChoice({ info, dir }, vscode.l10n.t('SEA Lens: Select Adapter ({0})', info.name), current);
    if (!pick) return;
    await vscode.workspace.getConfiguration('seaLens').update('adapter', pick.label, settingsTarget());
    deps.onAdapterChosen(pick.label);
    deps.views.activeExplain?.setAdapter(pick.label);
  } catch (e) {
    await notifyError(describeError(e));
  }
}
