// Progress for engine requests: nothing for fast answers, a cancellable notification once a request
// takes longer than a moment (loading a pack the first time can take seconds).

import * as vscode from 'vscode';

const SHOW_AFTER_MS = 700;

export async function withSlowProgress<T>(title: string, outer: vscode.CancellationToken, work: (token: vscode.CancellationToken) => Promise<T>): Promise<T> {
  const source = new vscode.CancellationTokenSource();
  const sub = outer.onCancellationRequested(() => source.cancel());
  const running = work(source.token);
  let done = false;
  running.then(() => (done = true), () => (done = true));
  const timer = setTimeout(() => {
    if (done) return;
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (_p, token) => {
      token.onCancellationRequested(() => source.cancel());
      return running.then(() => undefined, () => undefined);
    });
  }, SHOW_AFTER_MS);
  try {
    return await running;
  } finally {
    clearTimeout(timer);
    sub.dispose();
    source.dispose();
  }
}
