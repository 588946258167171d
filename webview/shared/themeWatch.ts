// VS Code restyles a webview in place when the colour theme changes: it rewrites the --vscode-* variables
// on <html> and the theme kind on <body> (class and data-vscode-theme-kind). CSS follows by itself; what
// was painted on a canvas with colours read from those variables does not, so the painters ask to be told.

/** The theme kind VS Code gives the page: vscode-light, vscode-dark, vscode-high-contrast, vscode-high-contrast-light ('' outside VS Code). */
export function themeKind(): string {
  const body = document.body;
  if (!body) return '';
  // the data attribute where VS Code sets it, else the class it has always set
  return body.dataset.vscodeThemeKind || KINDS.find((k) => body.classList.contains(k)) || '';
}

const KINDS = ['vscode-high-contrast-light', 'vscode-high-contrast', 'vscode-light', 'vscode-dark'];

/** Calls `cb` once per animation frame in which the theme changed; returns the unsubscribe function. */
export function onThemeChange(cb: () => void): () => void {
  let frame = 0;
  const changed = (): void => {
    cancelAnimationFrame(frame);
    frame = requestAnimationFrame(cb);
  };
  const observer = new MutationObserver(changed);
  observer.observe(document.documentElement, { attributes: true, attributeFilter: ['style', 'class'] });
  if (document.body) observer.observe(document.body, { attributes: true, attributeFilter: ['class', 'data-vscode-theme-kind', 'data-vscode-theme-id'] });
  return () => {
    observer.disconnect();
    cancelAnimationFrame(frame);
  };
}
