// "SEA Lens: Install GPU Support (CUDA)": `sea-lens gpu install` with a cancellable progress notification.
// The package is kept under the extension's global storage while it downloads (a cancelled or broken
// download resumes next time); the libraries go beside onnxruntime-node's binding, where it loads them.
// Runs in the extension host: cudaProviderInstall.ts imports no onnxruntime.
import * as vscode from 'vscode';
import { cudaPlan, CUDA_RUNTIME_HINT, GpuInstallError, installCudaProvider } from '../engine/cudaProviderInstall';

export async function installGpuSupport(globalStorage: vscode.Uri, log: vscode.LogOutputChannel): Promise<void> {
  let plan;
  try {
    plan = cudaPlan();
  } catch (e) {
    void vscode.window.showErrorMessage(vscode.l10n.t('SEA Lens: {0}', (e as Error).message));
    return;
  }
  const cacheDir = vscode.Uri.joinPath(globalStorage, 'downloads').fsPath;
  const run = (force: boolean) =>
    vscode.window.withProgress(
      { location: vscode.ProgressLocation.Notification, title: vscode.l10n.t('SEA Lens: installing the CUDA provider'), cancellable: true },
      async (progress, token) => {
        const ctl = new AbortController();
        token.onCancellationRequested(() => ctl.abort());
        let last = 0;
        return installCudaProvider({
          plan, cacheDir, force, signal: ctl.signal,
          onProgress: (p) => {
            const pct = p.fraction === undefined ? undefined : Math.round(p.fraction * 100);
            progress.report({ message: p.message, increment: pct === undefined ? undefined : pct - last });
            if (pct !== undefined) last = pct;
          },
        });
      },
    );
  try {
    let result;
    try {
      result = await run(false);
    } catch (e) {
      if (!(e instanceof GpuInstallError) || e.kind !== 'no-driver') throw e;
      const anyway = vscode.l10n.t('Install Anyway');
      const pick = await vscode.window.showWarningMessage(vscode.l10n.t('SEA Lens: {0}', e.message), anyway);
      if (pick !== anyway) return;
      result = await run(true);
    }
    log.info(`CUDA provider of onnxruntime-node ${result.plan.ortVersion} installed: ${result.installed.join(', ')}`);
    if (result.missingRuntime.length) {
      log.warn(`CUDA runtime libraries missing: ${result.missingRuntime.join(', ')}`);
      void vscode.window.showWarningMessage(vscode.l10n.t('SEA Lens: the CUDA provider is installed, but it will not load until these are found: {0}. To fix: {1}.', result.missingRuntime.join(', '), CUDA_RUNTIME_HINT));
      return;
    }
    const reload = vscode.l10n.t('Reload Window');
    // The engine process keeps the packs it loaded on the CPU; a reload starts it fresh and `auto` picks CUDA.
    const pick = await vscode.window.showInformationMessage(vscode.l10n.t('SEA Lens: the CUDA provider is installed. Reload the window to use it.'), reload);
    if (pick === reload) await vscode.commands.executeCommand('workbench.action.reloadWindow');
  } catch (e) {
    const msg = (e as Error).message;
    log.error(`GPU install: ${msg}`);
    if (e instanceof GpuInstallError && e.kind === 'cancelled') {
      void vscode.window.showInformationMessage(vscode.l10n.t('SEA Lens: the download was cancelled; running the command again resumes it.'));
      return;
    }
    void vscode.window.showErrorMessage(vscode.l10n.t('SEA Lens: installing the CUDA provider failed: {0}', msg));
  }
}
