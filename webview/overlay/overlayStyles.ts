// The overlay's stylesheet, adopted as a constructed CSSStyleSheet (document or shadow root), so that the
// page's Content-Security-Policy needs no 'unsafe-inline'. Colours come from VS Code's theme variables;
// the fallbacks keep the overlay usable outside VS Code (e.g. an exported report page).

export const OVERLAY_CSS = `
.sl-overlay { position: relative; display: inline-block; max-width: 100%; color: var(--vscode-foreground, #ccc);
  font-family: var(--vscode-font-family, system-ui, sans-serif); }
.sl-stage { position: relative; display: inline-block; max-width: 100%; line-height: 0; }
.sl-image { display: block; max-width: 100%; max-height: var(--sl-max-height, 78vh); height: auto; image-rendering: auto; }
.sl-svg { position: absolute; left: 0; top: 0; overflow: visible; outline: none; }
.sl-cell { fill: transparent; stroke: var(--sl-grid, rgba(255,255,255,0.35)); stroke-width: 1px; shape-rendering: crispEdges; }
.sl-heat { opacity: 0; pointer-events: none; }
.sl-heat-on .sl-heat { opacity: 0.55; }
.sl-word { fill: var(--sl-text, #fff); stroke: var(--sl-halo, rgba(0,0,0,0.85)); stroke-width: 3px; stroke-linejoin: round;
  paint-order: stroke fill; font-family: var(--vscode-font-family, system-ui, sans-serif); font-weight: 600;
  text-anchor: middle; dominant-baseline: central; pointer-events: none; user-select: none; }
.sl-patch { cursor: pointer; outline: none; }
.sl-patch:hover .sl-cell { stroke: var(--vscode-focusBorder, #0af); stroke-width: 2px; }
.sl-patch:focus-visible .sl-cell, .sl-patch.sl-focus .sl-cell { stroke: var(--vscode-focusBorder, #0af); stroke-width: 3px; }
.sl-dim .sl-word { opacity: 0.25; }
.sl-dim .sl-cell { fill: rgba(0,0,0,0.35); }
.sl-hit .sl-cell { fill: var(--sl-hit, rgba(255, 200, 0, 0.35)); stroke: var(--vscode-editorWarning-foreground, #fc0); stroke-width: 2px; }
.sl-marked .sl-cell { stroke: var(--vscode-editorError-foreground, #f48771); stroke-width: 2px; stroke-dasharray: 4 2; }
.sl-tooltip { position: absolute; z-index: 10; pointer-events: none; min-width: 9em; max-width: 22em; padding: 4px 8px;
  line-height: 1.4; font-size: var(--vscode-font-size, 13px);
  background: var(--vscode-editorHoverWidget-background, #252526); color: var(--vscode-editorHoverWidget-foreground, #ccc);
  border: 1px solid var(--vscode-editorHoverWidget-border, #454545); border-radius: 3px; box-shadow: 0 2px 8px var(--vscode-widget-shadow, rgba(0,0,0,0.36)); }
.sl-tooltip[hidden] { display: none; }
.sl-tooltip-title { opacity: 0.8; margin-bottom: 2px; }
.sl-tooltip-row { display: grid; grid-template-columns: 1fr auto; gap: 0 10px; align-items: center; }
.sl-tooltip-word { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: pre; }
.sl-tooltip-score { font-variant-numeric: tabular-nums; opacity: 0.85; }
.sl-tooltip-bar { grid-column: 1 / -1; height: 3px; background: var(--vscode-progressBar-background, #0e70c0); transform-origin: left; }
.sl-legend { display: flex; flex-wrap: wrap; gap: 4px 8px; align-items: center; margin-top: 6px; line-height: 1.4; font-size: 12px; }
.sl-legend-name { flex-basis: 100%; opacity: 0.85; }
.sl-legend[hidden] { display: none; }
.sl-legend canvas { height: 10px; width: 160px; border: 1px solid var(--vscode-widget-border, #444); }
`;

let sheet: CSSStyleSheet | undefined;

/** Adopts the overlay stylesheet into the document or shadow root that holds `host` (once per root). */
export function adoptOverlayStyles(host: HTMLElement): void {
  sheet ??= (() => {
    const s = new CSSStyleSheet();
    s.replaceSync(OVERLAY_CSS);
    return s;
  })();
  const root = host.getRootNode() as Document | ShadowRoot;
  const target = 'adoptedStyleSheets' in root ? root : document;
  if (!target.adoptedStyleSheets.includes(sheet)) target.adoptedStyleSheets = [...target.adoptedStyleSheets, sheet];
}
