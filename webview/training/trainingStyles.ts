// The run view's stylesheet, adopted as a constructed CSSStyleSheet so that the page's CSP needs no
// 'unsafe-inline'. Colours and fonts come from VS Code's theme variables (light, dark, high contrast).

export const TRAINING_CSS = `
body { color: var(--vscode-foreground); font-family: var(--vscode-font-family); font-size: var(--vscode-font-size); }
#sealens-training { max-width: 100%; }
#sealens-training h2 { font-weight: 600; margin: 8px 0 4px; }
.status { margin: 0 0 8px; font-variant-numeric: tabular-nums; }
.sl-bar { display: flex; flex-wrap: wrap; gap: 6px 12px; align-items: center; margin-bottom: 10px; }
.sl-bar button { font: inherit; padding: 4px 12px; border-radius: 2px; cursor: pointer;
  border: 1px solid var(--vscode-button-border, transparent);
  color: var(--vscode-button-foreground); background: var(--vscode-button-background); }
.sl-bar button:hover { background: var(--vscode-button-hoverBackground); }
.sl-bar button.secondary { color: var(--vscode-button-secondaryForeground); background: var(--vscode-button-secondaryBackground); }
.sl-bar button.secondary:hover { background: var(--vscode-button-secondaryHoverBackground); }
.sl-bar :focus-visible, .chart svg:focus-visible { outline: 1px solid var(--vscode-focusBorder); outline-offset: 2px; }
.sl-smoothing { display: inline-flex; align-items: center; gap: 6px; }
.sl-smoothing input { accent-color: var(--vscode-button-background); width: 10em; }
.sl-smoothing output { min-width: 2.5em; font-variant-numeric: tabular-nums; }
.sl-layout { display: flex; flex-direction: column; gap: 10px; }
.charts { min-width: 0; display: flex; flex-direction: column; gap: 10px; }
.chart { border: 1px solid var(--vscode-widget-border, var(--vscode-panel-border, #8884)); border-radius: 3px;
  background: var(--vscode-editorWidget-background, transparent); padding: 4px 6px 2px; }
.chart-head { display: flex; flex-wrap: wrap; justify-content: space-between; gap: 2px 12px; font-size: 12px; }
.chart-title { font-weight: 600; }
.chart-readout { font-variant-numeric: tabular-nums; opacity: 0.9; }
.chart svg { display: block; width: 100%; overflow: visible; cursor: crosshair; }
.chart .tick text { fill: var(--vscode-descriptionForeground); }
.chart .domain, .chart .tick line { stroke: var(--vscode-widget-border, #8888); }
.chart .axis-label { fill: var(--vscode-descriptionForeground); font-size: 11px; }
.chart .epoch-line { stroke: var(--vscode-editorIndentGuide-background1, #8884); stroke-dasharray: 2 3; }
.chart .epoch-label { fill: var(--vscode-descriptionForeground); font-size: 10px; }
.chart .raw { fill: none; stroke: var(--vscode-charts-blue); stroke-opacity: 0.28; stroke-width: 1; }
.chart .smooth { fill: none; stroke: var(--vscode-charts-blue); stroke-width: 1.75; }
.chart .point { fill: var(--vscode-charts-blue); }
.chart .resume-line { stroke: var(--vscode-charts-orange); stroke-dasharray: 5 3; stroke-width: 1.25; }
.chart .resume-label { fill: var(--vscode-charts-orange); font-size: 10px; }
.chart .validation-mark { fill: var(--vscode-charts-green); }
.chart .crosshair { stroke: var(--vscode-editorCursor-foreground, var(--vscode-foreground)); stroke-opacity: 0.7; pointer-events: none; }
.chart .crosshair-dot { fill: var(--vscode-editor-background); stroke: var(--vscode-charts-blue); stroke-width: 2; pointer-events: none; }
.settings { border: 1px solid var(--vscode-widget-border, var(--vscode-panel-border, #8884)); border-radius: 3px;
  background: var(--vscode-editorWidget-background, transparent); padding: 6px 10px; font-size: 12px; }
.settings h3 { margin: 0 0 6px; font-size: 11px; font-weight: 600; text-transform: uppercase; letter-spacing: 0.04em; }
.settings dl { display: grid; grid-template-columns: repeat(auto-fill, minmax(210px, 1fr)); gap: 3px 16px; margin: 0; }
.settings dl > div { display: flex; gap: 8px; min-width: 0; }
.settings dt { color: var(--vscode-descriptionForeground); flex: none; }
.settings dd { margin: 0; overflow-wrap: anywhere; font-variant-numeric: tabular-nums; }
.settings dd.defaulted::after { content: ' (default)'; color: var(--vscode-descriptionForeground); }
.legend { font-size: 11px; color: var(--vscode-descriptionForeground); margin: 2px 0 8px; }
.legend .k-resume { color: var(--vscode-charts-orange); }
.legend .k-validation { color: var(--vscode-charts-green); }
table { border-collapse: collapse; margin: 12px 0; font-variant-numeric: tabular-nums; }
caption { text-align: left; font-weight: 600; padding-bottom: 4px; }
th, td { text-align: right; padding: 2px 10px; border-bottom: 1px solid var(--vscode-widget-border, #8884); }
th:first-child, td:first-child { text-align: left; }
.warning { color: var(--vscode-editorWarning-foreground); }
.error { color: var(--vscode-errorForeground); }
`;

export function adoptTrainingStyles(doc: Document): void {
  const sheet = new CSSStyleSheet();
  sheet.replaceSync(TRAINING_CSS);
  doc.adoptedStyleSheets = [...doc.adoptedStyleSheets, sheet];
}
