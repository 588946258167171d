// Page layout for the explain and compare views, adopted as a constructed stylesheet (no inline styles,
// so the CSP needs no 'unsafe-inline'). Colours are VS Code theme variables.

const PAGE_CSS = `
body { padding: 0 16px 16px; color: var(--vscode-foreground); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); }
.sl-toolbar { display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: center; padding: 10px 0; position: sticky; top: 0; z-index: 20;
  background: var(--vscode-editor-background); border-bottom: 1px solid var(--vscode-widget-border, transparent); margin-bottom: 10px; }
.sl-field { display: flex; gap: 6px; align-items: center; }
.sl-field vscode-single-select { width: 12em; }
.sl-field vscode-textfield { width: 5em; }
.sl-exports { display: flex; gap: 6px; margin-left: auto; }
.sl-status { min-height: 1.4em; opacity: 0.85; }
.sl-status[hidden] { display: none; }
.sl-error { border: 1px solid var(--vscode-inputValidation-errorBorder, #be1100); background: var(--vscode-inputValidation-errorBackground, #5a1d1d);
  padding: 8px 12px; margin: 8px 0; border-radius: 3px; white-space: pre-wrap; }
.sl-error[hidden] { display: none; }
.sl-error-fix { margin-top: 6px; opacity: 0.9; }
.sl-error vscode-button { margin-top: 10px; }
.sl-toolbar.sl-empty > * { visibility: hidden; }
.sl-meta { margin-top: 8px; opacity: 0.8; font-size: 12px; }
.sl-notes { margin: 4px 0 0; padding-left: 18px; }
.sl-pair { display: grid; grid-template-columns: repeat(auto-fit, minmax(280px, 1fr)); gap: 16px; align-items: start; }
.sl-pair h3 { margin: 0 0 6px; font-size: 13px; font-weight: 600; }
.sl-agreement { font-size: 14px; font-weight: 600; }
.sl-linked-status { min-height: 1.4em; margin-top: 8px; font-variant-numeric: tabular-nums; }
.sl-hidden { display: none !important; }
`;

export function adoptPageStyles(): void {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(PAGE_CSS);
  document.adoptedStyleSheets = [...document.adoptedStyleSheets, sheet];
}
