// "SEA Lens: Open Hugging Face Model…": a Hub id (or a model already in the Hugging Face cache, or a
// checkpoint folder) → `pack init` with a cancellable progress notification → the new pack, written under
// the extension's global storage, becomes the active pack (seaLens.pack), after the same workspace-trust
// check and engine load as "Select Model Pack…".
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { hubCacheDir, hubEndpoint } from '../hub/hubEnvironment';
import { parseRepoSpec, repoFromFolderName } from '../hub/hubRepoId';
import { packInit } from '../packInit/packInit';
import { PACK_INIT_EXIT, PackInitError } from '../packInit/packInitError';
import { extensionPythonCandidates } from './training/trainingPython';
import type { EngineRequester } from './lensView';
import { describeError, notifyError } from './engineErrors';
import * as settings from './settings';

export interface OpenHfModelDeps {
  engine: EngineRequester;
  log: vscode.LogOutputChannel;
  extensionUri: vscode.Uri;
  globalStorageUri: vscode.Uri;
}

/** Models already in the Hugging Face cache (a snapshot that refs/main points at), newest first. */
function cachedModels(): { repo: string; dir: string }[] {
  const cache = hubCacheDir();
  let names: string[];
  try {
    names = readdirSync(cache);
  } catch {
    return [];
  }
  return names
    .map((n) => ({ repo: repoFromFolderName(n), dir: path.join(cache, n) }))
    .filter((m): m is { repo: string; dir: string } => {
      if (!m.repo) return false;
      try {
        const commit = readFileSync(path.join(m.dir, 'refs', 'main'), 'utf8').trim();
        return existsSync(path.join(m.dir, 'snapshots', commit, 'config.json'));
      } catch {
        return false;
      }
    })
    .slice(0, 30);
}

async function askSource(): Promise<string | undefined> {
  type Item = vscode.QuickPickItem & { id: 'hub' | 'folder' | 'cached'; value?: string };
  const items: Item[] = [
    { id: 'hub', label: vscode.l10n.t('$(cloud-download) Enter a Hugging Face model id…'), description: vscode.l10n.t('e.g. llava-hf/llava-1.5-7b-hf; downloads only what an explain needs') },
    { id: 'folder', label: vscode.l10n.t('$(folder-opened) Browse for a folder…'), description: vscode.l10n.t('a checkpoint folder with config.json and *.safetensors') },
  ];
  const cached = cachedModels();
  if (cached.length) items.push({ id: 'cached', label: vscode.l10n.t('In the Hugging Face cache'), kind: vscode.QuickPickItemKind.Separator });
  for (const m of cached) items.push({ id: 'cached', label: `$(database) ${m.repo}`, description: m.dir, value: m.dir });
  const pick = await vscode.window.showQuickPick(items, { title: vscode.l10n.t('SEA Lens: Open Hugging Face Model'), matchOnDescription: true });
  if (!pick) return undefined;
  if (pick.id === 'cached') return pick.value;
  if (pick.id === 'folder') {
    const dirs = await vscode.window.showOpenDialog({ canSelectFolders: true, canSelectFiles: false, title: vscode.l10n.t('Checkpoint folder (holds config.json)') });
    return dirs?.[0]?.fsPath;
  }
  return vscode.window.showInputBox({
    title: vscode.l10n.t('SEA Lens: Hugging Face model id'),
    prompt: vscode.l10n.t('org/name, optionally @revision (a branch, tag or commit)'),
    placeHolder: 'llava-hf/llava-1.5-7b-hf',
    ignoreFocusOut: true,
    validateInput: (v) => (parseRepoSpec(v.trim()) ? undefined : vscode.l10n.t('Expected org/name or org/name@revision')),
  }).then((v) => v?.trim());
}

/** A checkpoint folder in an untrusted workspace is untrusted input, like a pack there. */
function assertTrustedSource(source: string): void {
  if (vscode.workspace.isTrusted || !existsSync(source)) return;
  const dir = path.resolve(source);
  if ((vscode.workspace.workspaceFolders ?? []).some((f) => f.uri.scheme === 'file' && settings.isInside(dir, f.uri.fsPath))) {
    throw new settings.SettingsError(
      vscode.l10n.t('SEA Lens does not make a pack from "{0}" because the checkpoint lies in this untrusted workspace.', dir),
      vscode.l10n.t('Trust the workspace (Workspaces: Manage Workspace Trust), or use a Hugging Face model id or a folder outside the workspace.'),
    );
  }
}

export async function openHfModel(deps: OpenHfModelDeps): Promise<void> {
  const source = await askSource();
  if (!source) return;
  const outRoot = vscode.Uri.joinPath(deps.globalStorageUri, 'packs').fsPath;
  try {
    assertTrustedSource(source);
    const result = await vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('SEA Lens: making a pack for {0}', source), cancellable: true },
      async (progress, token) => {
        const ctl = new AbortController();
        token.onCancellationRequested(() => ctl.abort());
        let last = 0;
        return packInit({
          source, outRoot, installDir: deps.extensionUri.fsPath, candidates: await extensionPythonCandidates(), signal: ctl.signal,
          cwd: vscode.workspace.workspaceFolders?.[0]?.uri.fsPath,
          onProgress: (message, fraction) => {
            const pct = Math.round(fraction * 100);
            progress.report({ message, increment: Math.max(0, pct - last) });
            last = Math.max(last, pct);
          },
          onLog: (line) => deps.log.info(`pack init: ${line}`),
        });
      },
    );
    deps.log.info(`pack init: wrote ${result.pack} (${result.name}, family ${result.family}) from ${result.checkpoint}`);
    settings.assertTrustedPack(result.pack);
    const info = await deps.engine.request('engine/packInfo', { pack: result.pack });
    const target = vscode.workspace.workspaceFolders?.length ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global;
    await vscode.workspace.getConfiguration('seaLens').update('pack', result.pack, target);
    const explain = vscode.l10n.t('Explain an Image…');
    const pick = await vscode.window.showInformationMessage(vscode.l10n.t('SEA Lens now uses the pack "{0}" ({1}, {2} adapters).', info.name, result.family, info.adapters.length), explain);
    if (pick === explain) await vscode.commands.executeCommand('seaLens.explain');
  } catch (e) {
    if (e instanceof PackInitError) return reportPackInitError(e, source, deps.log);
    await notifyError(describeError(e));
  }
}

async function reportPackInitError(e: PackInitError, source: string, log: vscode.LogOutputChannel): Promise<void> {
  log.error(`pack init (${source}): exit ${e.exitCode}: ${e.message}`);
  if (e.exitCode === PACK_INIT_EXIT.cancelled) {
    void vscode.window.showInformationMessage(vscode.l10n.t('SEA Lens: cancelled; nothing was written. Running the command again resumes a download.'));
    return;
  }
  const actions: Record<number, { title: string; run: () => Thenable<unknown> }> = {
    [PACK_INIT_EXIT.pythonPackagesMissing]: { title: vscode.l10n.t('Set Python Path'), run: () => vscode.commands.executeCommand('workbench.action.openSettings', 'seaLens.pythonPath') },
    [PACK_INIT_EXIT.accessDenied]: { title: vscode.l10n.t('Open Model Page'), run: () => vscode.env.openExternal(vscode.Uri.parse(`${hubEndpoint()}/${parseRepoSpec(source)?.repo ?? ''}`)) },
    [PACK_INIT_EXIT.downloadFailed]: { title: vscode.l10n.t('Retry'), run: () => vscode.commands.executeCommand('seaLens.openHfModel') },
  };
  const action = actions[e.exitCode] ?? { title: vscode.l10n.t('Show Log'), run: () => Promise.resolve(log.show()) };
  const pick = await vscode.window.showErrorMessage(vscode.l10n.t('SEA Lens: {0}', e.message), action.title);
  if (pick === action.title) await action.run();
}
