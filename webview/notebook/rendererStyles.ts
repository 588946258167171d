// Styles of the notebook renderer's own chrome (headers, tables, charts, error box); the overlay brings
// its own stylesheet. Colours follow the VS Code theme with fallbacks for the HTML report.

export const RENDERER_CSS = `
.sln-root { font-family: var(--vscode-font-family, system-ui, sans-serif); font-size: var(--vscode-font-size, 13px);
  color: var(--vscode-foreground, #1e1e1e); }
.sln-head { margin: 4px 0 6px; opacity: 0.85; }
.sln-row { display: flex; flex-wrap: wrap; gap: 16px; align-items: flex-start; }
.sln-panel { max-width: 100%; }
.sln-panel h4 { margin: 0 0 4px; font-size: 1em; }
.sln-error { border-left: 3px solid var(--vscode-editorError-foreground, #e51400); padding: 6px 10px;
  background: var(--vscode-inputValidation-errorBackground, rgba(229, 20, 0, 0.08)); white-space: pre-wrap; }
.sln-table { border-collapse: collapse; margin: 4px 0; }
.sln-table th, .sln-table td { border: 1px solid var(--vscode-editorWidget-border, #8884); padding: 2px 8px; text-align: left; }
.sln-table td.num { text-align: right; font-variant-numeric: tabular-nums; }
.sln-chart rect.bar { fill: var(--vscode-charts-blue, #1a85ff); }
.sln-chart text { fill: currentColor; font-size: 11px; }
.sln-gallery { display: grid; grid-template-columns: repeat(auto-fill, minmax(140px, 1fr)); gap: 8px; }
.sln-gallery figure { margin: 0; }
.sln-gallery img { width: 100%; height: auto; display: block; }
.sln-gallery figcaption { font-size: 11px; opacity: 0.85; overflow-wrap: anywhere; }
.sln-toggle { margin-bottom: 6px; }
/* The overlay sizes its own image (small ones enlarged, at most the output's width and 560 px tall). */
.sln-overlay .sl-overlay { display: block; }
.sln-row .sln-panel { flex: 1 1 320px; }
`;
