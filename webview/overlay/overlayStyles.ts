// The overlay's stylesheet, adopted as a constructed CSSStyleSheet (document or shadow root), so that the
// page's Content-Security-Policy needs no 'unsafe-inline'. Colours come from VS Code's theme variables;
// the fallbacks keep the overlay usable outside VS Code (e.g. an exported report page).

export const OVERLAY_CSS = `
.sl-overlay { position: relative; display: inline-block; max-width: 100%; color: var(--vscode-foreground, #ccc);
  font-family: var(--vscode-font-family, system-ui, sans-serif); font-size: var(--vscode-font-size, 13px); }
.sl-controls { display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: center; margin-bottom: 6px; line-height: 1.4; }
.sl-controls [hidden] { display: none; }
.sl-controls select, .sl-controls input, .sl-controls button { font: inherit; color: var(--vscode-input-foreground, inherit);
  background: var(--vscode-input-background, transparent); border: 1px solid var(--vscode-input-border, var(--vscode-widget-border, #8886));
  border-radius: 2px; padding: 1px 6px; }
.sl-controls button { background: var(--vscode-button-secondaryBackground, #3a3d41); color: var(--vscode-button-secondaryForeground, #fff); cursor: pointer; min-width: 2em; }
.sl-controls button:hover { background: var(--vscode-button-secondaryHoverBackground, #45494e); }
.sl-controls :focus-visible { outline: 1px solid var(--vscode-focusBorder, #0af); outline-offset: 1px; }
.sl-search { width: 14em; }
.sl-search-count { opacity: 0.85; min-width: 8em; font-variant-numeric: tabular-nums; }
.sl-zoom { display: inline-flex; gap: 2px; }
.sl-body { display: flex; gap: 12px; align-items: flex-start; }
.sl-stage { position: relative; line-height: 0; flex: none; }
.sl-viewport { position: relative; overflow: hidden; touch-action: none; background: var(--vscode-editor-background, transparent); }
/* A checkerboard under the image shows transparent pixels as transparent. */
.sl-image { position: absolute; left: 0; top: 0; max-width: none; transform-origin: 0 0; image-rendering: auto;
  background: repeating-conic-gradient(#8c8c8c 0 25%, #c8c8c8 0 50%) 0 0 / 16px 16px; }
.sl-image.sl-pixelated { image-rendering: pixelated; }
.sl-canvas, .sl-svg { position: absolute; left: 0; top: 0; width: 100%; height: 100%; }
.sl-canvas { pointer-events: none; }
.sl-svg { overflow: hidden; cursor: crosshair; outline: none; }
.sl-svg:focus-visible { outline: 2px solid var(--vscode-focusBorder, #0af); outline-offset: -2px; }
.sl-hover, .sl-focus, .sl-linked { fill: none; pointer-events: none; }
.sl-hover { stroke: var(--vscode-focusBorder, #0af); stroke-width: 2px; }
/* The keyboard focus: a thick focus-border ring with a dark inner line, visible on light and dark images. */
.sl-focus { stroke: var(--vscode-focusBorder, #0af); stroke-width: 3px; filter: drop-shadow(0 0 1px #000); }
.sl-linked { stroke: var(--vscode-focusBorder, #0af); stroke-width: 2px; stroke-dasharray: 5 3; }
.sl-side { max-width: 16em; max-height: 60vh; overflow: auto; line-height: 1.4; font-size: 12px;
  border-left: 1px solid var(--vscode-widget-border, #8884); padding-left: 8px; }
.sl-side[hidden] { display: none; }
.sl-side-title { opacity: 0.85; margin-bottom: 4px; }
.sl-side-list { margin: 0; padding: 0; list-style: none; }
.sl-side-list li { display: flex; gap: 6px; cursor: pointer; padding: 0 2px; }
.sl-side-list li:hover { background: var(--vscode-list-hoverBackground, #8882); }
.sl-side-list li.sl-hit { background: var(--sl-hit, rgba(255, 200, 0, 0.35)); }
.sl-side-list li.sl-dim { opacity: 0.5; }
.sl-side-kind { opacity: 0.75; white-space: nowrap; }
.sl-side-words { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: pre; }
.sl-caption { margin-top: 4px; font-size: 12px; opacity: 0.8; line-height: 1.4; }
.sl-svg:not(:focus) .sl-focus { display: none; }
.sl-current { position: absolute; width: 1px; height: 1px; overflow: hidden; clip-path: inset(50%); white-space: nowrap; }
.sl-tooltip { position: absolute; left: 0; top: 0; z-index: 10; pointer-events: none; min-width: 9em; max-width: 22em; padding: 4px 8px;
  line-height: 1.4; font-size: var(--vscode-font-size, 13px);
  background: var(--vscode-editorHoverWidget-background, #252526); color: var(--vscode-editorHoverWidget-foreground, #ccc);
  border: 1px solid var(--vscode-editorHoverWidget-border, #454545); border-radius: 3px; box-shadow: 0 2px 8px var(--vscode-widget-shadow, rgba(0,0,0,0.36)); }
.sl-tooltip[hidden] { display: none; }
.sl-tooltip-title { opacity: 0.8; margin-bottom: 2px; }
.sl-tooltip-row[hidden], .sl-tooltip-extras[hidden] { display: none; }
.sl-tooltip-row { display: grid; grid-template-columns: 1fr auto; gap: 0 10px; align-items: center; }
.sl-tooltip-word { font-weight: 600; overflow: hidden; text-overflow: ellipsis; white-space: pre; }
.sl-tooltip-score { font-variant-numeric: tabular-nums; opacity: 0.85; }
.sl-tooltip-bar { grid-column: 1 / -1; height: 3px; background: var(--vscode-progressBar-background, #0e70c0); transform-origin: left; }
.sl-tooltip-extras { white-space: pre-line; margin-top: 2px; border-top: 1px solid var(--vscode-editorHoverWidget-border, #454545); padding-top: 2px; }
.sl-legend { display: flex; flex-wrap: wrap; gap: 4px 10px; align-items: center; margin-top: 6px; line-height: 1.4; font-size: 12px; }
.sl-legend-name { flex-basis: 100%; opacity: 0.85; }
.sl-legend[hidden] { display: none; }
.sl-legend canvas { height: 10px; width: 160px; border: 1px solid var(--vscode-widget-border, #444); }
.sl-legend-item { display: inline-flex; gap: 4px; align-items: center; font-variant-numeric: tabular-nums; }
.sl-swatch { display: inline-block; width: 12px; height: 12px; border: 1px solid var(--vscode-widget-border, #444); }
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
