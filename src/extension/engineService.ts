// The extension's one engine client: inference runs in a separate process (dist/engineProcess.js) so that
// a native crash cannot take the extension host down. Engine logs feed the LogOutputChannel, device
// fallbacks the status bar. A crashed process is reported once, and the client starts a new one on the
// next request.

import * as vscode from 'vscode';
import { EngineClient, EngineRequestError } from '../engineClient/engineClient';
import type { DeviceNotice, EngineMethod, EngineRequests } from '../shared/engineProtocol';
import type { EngineRequester } from './lensView';

export class EngineService implements EngineRequester, vscode.Disposable {
  private readonly client: EngineClient;

  constructor(extensionUri: vscode.Uri, private readonly log: vscode.LogOutputChannel, onDevice: (n: DeviceNotice) => void) {
    this.client = new EngineClient({
      enginePath: vscode.Uri.joinPath(extensionUri, 'dist', 'engineProcess.js').fsPath,
      onLog: (n) => log[n.level](`[engine] ${n.message}`),
      onDevice: (n) => {
        log.info(`[engine] device: requested ${n.requested}, using ${n.used}${n.reason ? ` (${n.reason})` : ''}`);
        onDevice(n);
      },
    });
  }

  async request<M extends EngineMethod>(method: M, params: EngineRequests[M][0], token?: vscode.CancellationToken): Promise<EngineRequests[M][1]> {
    const started = Date.now();
    try {
      return await this.client.request(method, params, { token });
    } catch (e) {
      if (e instanceof EngineRequestError && e.code === 'ProcessExited') {
        this.log.error(`${method}: ${e.message}`);
        void vscode.window.showWarningMessage(vscode.l10n.t('SEA Lens: the engine process stopped ({0}). The next request starts it again.', e.message));
      } else {
        this.log.debug(`${method} failed after ${Date.now() - started} ms: ${(e as Error).message}`);
      }
      throw e;
    }
  }

  dispose(): void {
    void this.client.dispose();
  }
}
