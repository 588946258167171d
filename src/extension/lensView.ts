// What the explain and compare views share: the webview options (scripts on, tight localResourceRoots),
// the HTML shell, the `ready` handshake (nothing is posted before the page listens), validation of every
// incoming message, re-rendering when the image file changes, one running request per view (a newer one
// cancels the older), exports through the save dialog, and errors shown in the view and as notifications.

import * as path from 'node:path';
import * as fs from 'node:fs/promises';
import * as vscode from 'vscode';
import type { EngineMethod, EngineRequests, PackInfo } from '../shared/engineProtocol';
import { parseFromWebview, ProtocolError, type ExportFormat, type FromWebview, type PersistedViewState, type ToWebview } from '../shared/webviewProtocol';
import { describeError, notifyError } from './engineErrors';
import { webviewHtml } from './webviewHtml';
import type { ImagePreviews } from './imagePreviews';
import { withSlowProgress } from './slowProgress';
import * as settings from './settings';

export interface EngineRequester {
  request<M extends EngineMethod>(method: M, params: EngineRequests[M][0], token?: vscode.CancellationToken): Promise<EngineRequests[M][1]>;
}

export interface ViewDeps {
  extensionUri: vscode.Uri;
  engine: EngineRequester;
  log: vscode.LogOutputChannel;
  previews: ImagePreviews;
}

let viewCounter = 0;

export abstract class LensView implements vscode.Disposable {
  protected readonly disposables: vscode.Disposable[] = [];
  protected readonly viewId = `view-${++viewCounter}`;
  private ready = false;
  private running: vscode.CancellationTokenSource | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private version = 0;
  private disposed = false;
  protected pack: { info: PackInfo; dir: string } | undefined;

  private imageWatcher: vscode.Disposable;

  constructor(
    readonly panel: vscode.WebviewPanel,
    /** The image shown; a compare view can switch it (showImage). */
    public image: vscode.Uri,
    protected readonly deps: ViewDeps,
    private readonly bundle: 'explain' | 'compare',
    initialState: PersistedViewState,
  ) {
    const webview = panel.webview;
    this.loadPage(initialState);
    this.imageWatcher = this.watchImage();
    this.disposables.push(
      webview.onDidReceiveMessage((raw) => this.receive(raw)),
      panel.onDidDispose(() => this.dispose()),
      { dispose: () => this.imageWatcher.dispose() },
      vscode.workspace.onDidChangeConfiguration((e) => {
        if (e.affectsConfiguration('seaLens.pack')) this.pack = undefined;
        if (['seaLens.pack', 'seaLens.device', 'seaLens.filters'].some((s) => e.affectsConfiguration(s))) this.scheduleRefresh();
      }),
    );
  }

  /** Options (the image's folder among the resource roots) and the page, which then sends `ready`. */
  private loadPage(state: PersistedViewState): void {
    const webview = this.panel.webview;
    webview.options = {
      enableScripts: true,
      localResourceRoots: [
        vscode.Uri.joinPath(this.deps.extensionUri, 'dist', 'webview'),
        vscode.Uri.joinPath(this.deps.extensionUri, 'media'),
        vscode.Uri.joinPath(this.image, '..'),
        this.deps.previews.folder,
      ],
    };
    webview.html = webviewHtml(webview, this.deps.extensionUri, this.bundle, path.basename(this.image.fsPath), state);
  }

  /**
   * Shows another image in the same panel: new resource roots (its folder), a new page (its saved state names
   * the new image, so a window reload restores that one), a watcher on the new file; the page's `ready`
   * triggers the computation.
   */
  protected showImage(image: vscode.Uri, state: PersistedViewState): void {
    if (this.disposed) return;
    this.running?.cancel();
    clearTimeout(this.refreshTimer);
    this.ready = false;
    this.image = image;
    this.version++;
    this.imageWatcher.dispose();
    this.imageWatcher = this.watchImage();
    this.loadPage(state);
  }

  /** Runs the engine for the current parameters and returns the message to post. */
  protected abstract compute(token: vscode.CancellationToken, imageUrl: string, note: string | undefined): Promise<ToWebview>;
  protected abstract onViewMessage(msg: FromWebview): void;
  protected abstract exportData(format: 'json' | 'csv'): string | undefined;
  protected abstract exportBaseName(): string;

  protected post(msg: ToWebview): void {
    if (!this.disposed) void this.panel.webview.postMessage(msg);
  }

  private receive(raw: unknown): void {
    let msg: FromWebview;
    try {
      msg = parseFromWebview(raw);
    } catch (e) {
      this.deps.log.warn(`${this.bundle} view: rejected a webview message: ${(e as ProtocolError).message}`);
      return;
    }
    switch (msg.kind) {
      case 'ready':
        this.ready = true;
        void this.refresh();
        break;
      case 'retry':
        this.pack = undefined;
        void this.refresh();
        break;
      case 'webviewError':
        this.deps.log.error(`${this.bundle} view: ${msg.message}`);
        break;
      case 'export':
        void this.export(msg.requestId, msg.format, msg.data);
        break;
      default:
        this.onViewMessage(msg);
    }
  }

  /** Pack info, cached per view until the pack setting changes or the user retries. */
  protected async packInfo(token: vscode.CancellationToken): Promise<{ info: PackInfo; dir: string }> {
    if (this.pack) return this.pack;
    const { dir } = settings.resolvePack(this.deps.extensionUri);
    const info = await this.deps.engine.request('engine/packInfo', { pack: dir }, token);
    this.pack = { info, dir };
    return this.pack;
  }

  /** (Re)computes and posts the result; a newer call cancels the one still running. */
  async refresh(): Promise<void> {
    if (!this.ready || this.disposed) return;
    this.running?.cancel();
    const source = new vscode.CancellationTokenSource();
    this.running = source;
    const name = path.basename(this.image.fsPath);
    this.post({ kind: 'loading', message: vscode.l10n.t('Decoding the visual tokens of {0}…', name) });
    try {
      const { uri, note } = await this.deps.previews.displayable(this.image);
      const imageUrl = `${this.panel.webview.asWebviewUri(uri).toString()}?v=${this.version}`;
      const msg = await withSlowProgress(vscode.l10n.t('SEA Lens: explaining {0}', name), source.token, (t) => this.compute(t, imageUrl, note));
      if (source.token.isCancellationRequested) return;
      this.post(msg);
    } catch (e) {
      if (source.token.isCancellationRequested) return;
      const err = describeError(e);
      if (err.cancelled) return;
      this.deps.log.error(`${this.bundle} ${this.image.fsPath}: ${err.message}`);
      this.post({ kind: 'error', message: err.message, fix: err.fix || undefined });
      void notifyError(err);
    } finally {
      if (this.running === source) this.running = undefined;
      source.dispose();
    }
  }

  protected scheduleRefresh(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = setTimeout(() => void this.refresh(), 250);
  }

  private watchImage(): vscode.Disposable {
    const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(vscode.Uri.joinPath(this.image, '..'), path.basename(this.image.fsPath)));
    const changed = (): void => {
      this.version++; // cache-busting query on the image URL
      this.scheduleRefresh();
    };
    watcher.onDidChange(changed);
    watcher.onDidCreate(changed);
    watcher.onDidDelete(() => this.post({ kind: 'error', message: vscode.l10n.t('{0} was deleted.', this.image.fsPath) }));
    return watcher;
  }

  private async export(requestId: number, format: ExportFormat, data?: ArrayBuffer): Promise<void> {
    try {
      const bytes = format === 'png' ? new Uint8Array(data!) : this.exportText(format);
      const base = vscode.Uri.joinPath(this.image, '..', `${this.exportBaseName()}.${format}`);
      const filters: Record<string, string[]> = { [format.toUpperCase()]: [format] };
      const target = await vscode.window.showSaveDialog({ defaultUri: base, filters, saveLabel: vscode.l10n.t('Export') });
      if (!target) return this.post({ kind: 'exportDone', requestId, ok: false, message: vscode.l10n.t('Export cancelled.') });
      await vscode.workspace.fs.writeFile(target, bytes);
      this.post({ kind: 'exportDone', requestId, ok: true, message: vscode.l10n.t('Saved to {0} ({1} bytes).', target.fsPath, bytes.byteLength) });
      void this.offerSaved(target);
    } catch (e) {
      const message = vscode.l10n.t('Export failed: {0}', (e as Error).message);
      this.deps.log.error(message);
      this.post({ kind: 'exportDone', requestId, ok: false, message });
      void vscode.window.showErrorMessage(`SEA Lens: ${message}`);
    }
  }

  /** "Saved to …" with the two things one does next: open the file, or show it in the file manager. */
  private async offerSaved(target: vscode.Uri): Promise<void> {
    const open = vscode.l10n.t('Open');
    const reveal = vscode.l10n.t('Reveal in Explorer');
    const pick = await vscode.window.showInformationMessage(vscode.l10n.t('Saved to {0}', target.fsPath), open, reveal);
    if (pick === open) await vscode.commands.executeCommand('vscode.open', target);
    // Inside the workspace: VS Code's Explorer (works in remote and web windows too); outside it, the OS's file manager.
    else if (pick === reveal) await vscode.commands.executeCommand(vscode.workspace.getWorkspaceFolder(target) ? 'revealInExplorer' : 'revealFileInOS', target);
  }

  private exportText(format: 'json' | 'csv'): Uint8Array {
    const text = this.exportData(format);
    if (text === undefined) throw new Error(vscode.l10n.t('there is no result to export yet'));
    return new TextEncoder().encode(text);
  }

  /** Whether the image still exists (used before restoring a view after reload). */
  static async exists(uri: vscode.Uri): Promise<boolean> {
    try {
      await fs.stat(uri.fsPath);
      return true;
    } catch {
      return false;
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.running?.cancel();
    clearTimeout(this.refreshTimer);
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
