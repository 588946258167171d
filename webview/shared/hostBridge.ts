// The webview side of the host channel: every incoming message is validated before use, requests carry
// ids and time out (a host that went away must not leave a button spinning forever), and the page
// state lives in VS Code's getState/setState so that a panel survives a window reload.

import { parseToWebview, ProtocolError, type FromWebview, type ToWebview, type PersistedViewState } from '../../src/shared/webviewProtocol';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type ExportRequest = DistributiveOmit<Extract<FromWebview, { kind: 'export' }>, 'requestId'>;

export interface HostBridge {
  send(msg: FromWebview): void;
  /** Sends an export request and resolves with the host's answer (or rejects after the timeout). */
  exportFile(req: ExportRequest, timeoutMs?: number): Promise<{ ok: boolean; message?: string }>;
  getState(): Partial<PersistedViewState>;
  setState(patch: Partial<PersistedViewState>): void;
}

export function createHostBridge(onMessage: (m: ToWebview) => void): HostBridge {
  const api = acquireVsCodeApi();
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: { ok: boolean; message?: string }) => void; timer: ReturnType<typeof setTimeout> }>();

  window.addEventListener('message', (ev: MessageEvent) => {
    let msg: ToWebview;
    try {
      msg = parseToWebview(ev.data);
    } catch (e) {
      // Report, never act on, a malformed message.
      api.postMessage({ kind: 'webviewError', message: `rejected a host message: ${(e as ProtocolError).message}` });
      return;
    }
    if (msg.kind === 'exportDone') {
      const p = pending.get(msg.requestId);
      if (p) {
        clearTimeout(p.timer);
        pending.delete(msg.requestId);
        p.resolve({ ok: msg.ok, message: msg.message });
      }
      return;
    }
    onMessage(msg);
  });

  // A blocked resource is a bug in SEA Lens (or an attack): report it to the log instead of failing silently.
  document.addEventListener('securitypolicyviolation', (ev) =>
    api.postMessage({ kind: 'webviewError', message: `Content-Security-Policy violation: ${ev.violatedDirective} blocked ${ev.blockedURI || 'inline code'}` }));
  window.addEventListener('error', (ev) => api.postMessage({ kind: 'webviewError', message: String(ev.message) }));
  window.addEventListener('unhandledrejection', (ev) => api.postMessage({ kind: 'webviewError', message: String(ev.reason?.message ?? ev.reason) }));

  return {
    send: (msg) => api.postMessage(msg),
    exportFile(req, timeoutMs = 10 * 60_000) {
      const requestId = nextId++;
      return new Promise((resolve) => {
        // The save dialog waits for the user, hence the long timeout; it still ends.
        const timer = setTimeout(() => {
          pending.delete(requestId);
          resolve({ ok: false, message: 'the editor did not answer the export request in time' });
        }, timeoutMs);
        pending.set(requestId, { resolve, timer });
        api.postMessage({ ...req, requestId });
      });
    },
    getState: () => (api.getState() as Partial<PersistedViewState> | undefined) ?? {},
    setState(patch) {
      api.setState({ ...((api.getState() as object | undefined) ?? {}), ...patch });
    },
  };
}
