// The run view: a webview with live loss / τ / learning-rate / agreement charts (webview/training), fed
// from the run's progress events. CSP default-src 'none' + nonce; every page message is validated.

import * as vscode from 'vscode';
import { contentSecurityPolicy, escapeAttribute, nonce } from '../webviewHtml';
import { parseFromRunView, type FromRunView, type ProgressEvent, type RunStatus, type RunViewState } from '../../shared/trainingProtocol';

export const RUN_VIEW_TYPE = 'seaLens.trainingRun';

export class RunView implements vscode.Disposable {
  private ready = false;
  private queued: ProgressEvent[] = [];
  private readonly subs: vscode.Disposable[] = [];

  constructor(readonly panel: vscode.WebviewPanel, extensionUri: vscode.Uri, private state: RunViewState, onMessage: (m: FromRunView) => void, log: vscode.LogOutputChannel) {
    const webview = panel.webview;
    webview.options = { enableScripts: true, localResourceRoots: [vscode.Uri.joinPath(extensionUri, 'dist', 'webview')] };
    const n = nonce();
    const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview', 'training.js'));
    webview.html = `<!DOCTYPE html><html lang="${escapeAttribute(vscode.env.language || 'en')}"><head><meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${contentSecurityPolicy(webview.cspSource, n)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0"><title>${escapeAttribute(state.runId)}</title></head>
<body><div id="sealens-training" data-run="${escapeAttribute(state.runId)}"></div><script type="module" nonce="${n}" src="${script}"></script></body></html>`;
    this.subs.push(webview.onDidReceiveMessage((raw) => {
      let msg: FromRunView;
      try {
        msg = parseFromRunView(raw);
      } catch (e) {
        log.warn(`run view: rejected a message: ${(e as Error).message}`);
        return;
      }
      if (msg.kind === 'ready') {
        this.ready = true;
        void webview.postMessage({ kind: 'state', state: { ...this.state, events: [...this.state.events, ...this.queued] } });
        this.queued = [];
      } else onMessage(msg);
    }));
  }

  get runId(): string {
    return this.state.runId;
  }

  push(events: ProgressEvent[], status: RunStatus): void {
    this.state = { ...this.state, status };
    if (!this.ready) {
      this.queued.push(...events);
      return;
    }
    void this.panel.webview.postMessage({ kind: 'events', runId: this.state.runId, status, events });
  }

  reset(state: RunViewState): void {
    this.state = state;
    this.queued = [];
    if (this.ready) void this.panel.webview.postMessage({ kind: 'state', state });
  }

  dispose(): void {
    for (const s of this.subs) s.dispose();
  }
}
