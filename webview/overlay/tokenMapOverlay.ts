// The token-map overlay: the image with every visual token drawn at its box (any size and aspect), the
// top word fitted where it fits, a hover/focus tooltip with the top-k words, click-a-word highlighting, a
// word search, a view switcher for multi-view maps, zoom and pan, a heat or category layer, the tokens
// that have no place on the image listed beside it, and a PNG export. The explain and compare views and
// the notebook renderer all use it. Boxes and labels are painted on a canvas (overlayCanvas.ts,
// overlayLabels.ts) and hover is a bucketed hit test (hitIndex.ts), so 2,928 tokens stay smooth; the SVG
// on top takes the pointer and keyboard and holds only the hover, focus and linked outlines.
// Words come from a tokenizer and are untrusted: they reach the DOM as text only.

import { interpolateViridis } from 'd3';
import type { TokenMap, PatchScalarMap, Box } from '../../src/shared/tokenMap';
import {
  boxRect, DEFAULT_FIT, haloFor, heatValues, nextPatchIndex, patchLabel, type FitOptions, type HeatValues, type NavKey, type Transform,
} from '../../src/shared/overlayLayout';
import { adoptOverlayStyles } from './overlayStyles';
import { drawOverlayPng } from './overlayExport';
import { paintCells, DEFAULT_PALETTE, type Palette } from './overlayCanvas';
import { createMeasurer, paintLabels } from './overlayLabels';
import { renderCategoryLegend, renderContinuousLegend, type Categories } from './overlayLegend';
import { buildOverlayDom, type OverlayDom } from './overlayDom';
import { attachOverlayInput } from './overlayInput';
import { createHitIndex, type HitIndex } from './hitIndex';
import { defaultChoice, modelInputCaption, tokensOf, viewChoices, type ViewChoice } from '../../src/shared/viewChoices';
import { highlightedTokens, searchSummary } from './wordSearch';
import { fitTransform, panBy, panToShow, viewportSize, zoomAbout, type Viewport } from './zoomTransform';
import { onThemeChange, themeKind } from '../shared/themeWatch';

export type { Categories } from './overlayLegend';

export interface OverlayOptions {
  /** Words shown in the tooltip (default 5). */
  topK?: number;
  heatmap?: PatchScalarMap | 'score' | null;
  /** Accessible name of the token map. */
  ariaLabel?: string;
  /** Label fitting limits (px); defaults: 7–28. */
  fit?: Partial<FitOptions>;
  /** Small images are shown at least this wide (px, default 560) when the host has the room. */
  minDisplayWidth?: number;
  /** Largest image height as a fraction of the window height (default 0.78). */
  maxHeightFraction?: number;
  /** Largest image height in pixels (the notebook's outputs: 560), besides the fraction of the window. */
  maxHeightPx?: number;
  /** Extra tooltip lines for a token (the compare view adds the other adapter's word). */
  tooltipExtra?: (index: number) => string[];
}

/** What is highlighted: tokens whose top word is `word` (a click), or whose top-k holds it (the search). */
export interface Highlight {
  word: string;
  mode: 'top1' | 'topk';
  /** Highlighted tokens in the current view. */
  count: number;
}

export interface TokenMapOverlay {
  update(tm: TokenMap, imageUrl: string): void;
  /** `range` pins the colour scale (e.g. 0..1); default: the map's own min..max. */
  setHeatmap(map: PatchScalarMap | 'score' | null, range?: { min: number; max: number }): void;
  /** A categorical colour layer with a legend of counts (replaces the heat layer; null clears). */
  setCategories(cat: Categories | null): void;
  highlightWord(word: string | null): void;
  onWordClick(cb: (word: string) => void): void;
  /** Called whenever the highlight changes (click, search, Escape, a new map): null when cleared. */
  onHighlight(cb: (h: Highlight | null) => void): void;
  /** The token under the pointer or keyboard focus (undefined when none), for linked views. */
  onHover(cb: (index: number | undefined) => void): void;
  /** Outlines a token hovered in a linked view; undefined clears. */
  setLinked(index: number | undefined): void;
  /** Called when the person picks another view in the switcher (not on setView). */
  onViewChange(cb: (id: string) => void): void;
  /** Shows one of the map's views (a view id, or `tiles`), as the switcher would. */
  setView(id: string): void;
  exportPng(): Promise<Blob>;
  dispose(): void;
  setTopK(k: number): void;
  /** Outline tokens (patches order), e.g. where two adapters disagree; null clears. */
  setMarked(mask: boolean[] | null): void;
  readonly highlighted: string | null;
  /** Resolves when the image has loaded and the tokens are drawn (rejects if the image cannot load). */
  readonly ready: Promise<void>;
}

export function createTokenMapOverlay(host: HTMLElement, options: OverlayOptions = {}): TokenMapOverlay {
  return new Overlay(host, options);
}

type Mode = { word: string; mode: 'top1' | 'topk' };
type FullPalette = Palette & { text: string; halo: string; family: string };

class Overlay implements TokenMapOverlay {
  private readonly dom: OverlayDom;
  private readonly fit: FitOptions;
  private topK: number;
  private tm: TokenMap | undefined;
  private imageUrl = '';
  private boxes: (Box | undefined)[] = [];
  private choices: ViewChoice[] = [];
  private choice: ViewChoice | undefined;
  /** The current view's tokens: drawn on the image, listed beside it, and the drawn ones as a set. */
  private spatial: number[] = [];
  private listed: number[] = [];
  private onScreen = new Set<number>();
  private hit: HitIndex | undefined;
  private vp: Viewport = { width: 1, height: 1 };
  private t: Transform = { k: 1, x: 0, y: 0 };
  private fitK = 1;
  private needFit = true;
  private dragStart: Transform = this.t;
  private heat: PatchScalarMap | 'score' | null;
  private heatRange: { min: number; max: number } | undefined;
  private heatVals: HeatValues | undefined;
  private categories: Categories | null = null;
  private mode: Mode | null = null;
  private hits: Uint8Array | null = null;
  private marked: boolean[] | null = null;
  private hoverIndex: number | undefined;
  private focusIndex: number | undefined;
  private linked: number | undefined;
  private readonly clickCbs: ((w: string) => void)[] = [];
  private readonly highlightCbs: ((h: Highlight | null) => void)[] = [];
  private readonly hoverCbs: ((i: number | undefined) => void)[] = [];
  private readonly viewCbs: ((id: string) => void)[] = [];
  private readyPromise!: Promise<void>;
  private settle!: { resolve: () => void; reject: (e: Error) => void };
  private frame = 0;
  private resizeFrame = 0;
  private readonly resize: ResizeObserver;
  private readonly unwatchTheme: () => void;

  constructor(private readonly host: HTMLElement, private readonly options: OverlayOptions) {
    adoptOverlayStyles(host);
    this.topK = options.topK ?? 5;
    this.heat = options.heatmap ?? null;
    this.dom = buildOverlayDom(options.ariaLabel ?? 'Visual tokens: nearest words per image patch', {
      onView: (id) => {
        this.selectView(id);
        for (const cb of this.viewCbs) cb(id);
      },
      onSearch: (q) => this.search(q), onZoom: (a) => this.zoom(a),
    }, (i) => this.pick(i));
    host.append(this.dom.root);
    this.fit = { ...DEFAULT_FIT, ...options.fit, measureEm: createMeasurer(() => getComputedStyle(this.dom.root).fontFamily) };
    this.newReady();
    this.attachInput();
    // Re-fit when the host's width changes; in the next frame, not inside the observer (no resize loop).
    let lastWidth = -1;
    this.resize = new ResizeObserver((entries) => {
      const w = entries[entries.length - 1]?.contentRect.width ?? host.clientWidth;
      if (w === lastWidth) return;
      lastWidth = w;
      cancelAnimationFrame(this.resizeFrame);
      this.resizeFrame = requestAnimationFrame(() => this.layout());
    });
    this.resize.observe(host);
    // The canvas is painted with colours read from the theme: repaint when VS Code switches theme.
    this.unwatchTheme = onThemeChange(() => {
      this.renderLegend();
      this.draw();
    });
    this.dom.img.addEventListener('load', () => {
      this.layout();
      this.settle.resolve();
    });
    this.dom.img.addEventListener('error', () => this.settle.reject(new Error(`the image could not be displayed (${this.imageUrl})`)));
  }

  private newReady(): void {
    this.readyPromise = new Promise<void>((resolve, reject) => (this.settle = { resolve, reject }));
    this.readyPromise.catch(() => undefined); // callers that do not await must not see an unhandled rejection
  }

  private attachInput(): void {
    attachOverlayInput(this.dom.svg, {
      tokenAt: (x, y) => this.hit?.at((x - this.t.x) / this.t.k, (y - this.t.y) / this.t.k),
      hover: (i) => this.setHover(i),
      pick: (i) => {
        this.setFocusIndex(i);
        this.placeRect(this.dom.focusRect, i);
        this.pick(i);
      },
      panStart: () => (this.dragStart = this.t),
      panBy: (dx, dy) => this.tm && this.setTransform(panBy(this.dragStart, dx, dy, this.tm.imageSize, this.vp)),
      zoomAt: (f, x, y) => this.setTransform(zoomAbout(this.t, f, x, y, this.fitK)),
      zoom: (a) => this.zoom(a),
      focusByKeyboard: () => {
        if (this.focusIndex === undefined && this.spatial.length) this.focusToken(this.spatial[0]);
        else this.showTip(this.focusIndex);
      },
      blur: () => this.dom.tooltip.hide(),
      navigate: (key: NavKey) => this.focusToken(this.focusIndex === undefined ? this.spatial[0] : nextPatchIndex(this.focusIndex, key, this.boxes, this.spatial)),
      pickFocused: () => this.focusIndex !== undefined && this.pick(this.focusIndex),
      clear: () => {
        this.dom.controls.clearSearch();
        this.applyHighlight(null);
        this.dom.tooltip.hide();
      },
    });
  }

  // --- geometry and drawing --------------------------------------------------------------------------

  /** Theme colours as the canvas needs them (real colours, read from the --vscode-* variables). */
  private palette(): FullPalette {
    const cs = getComputedStyle(this.dom.root);
    const v = (name: string, fallback: string) => cs.getPropertyValue(name).trim() || fallback;
    const text = v('--vscode-editor-foreground', '#ffffff');
    return {
      ...DEFAULT_PALETTE, hitStroke: v('--vscode-editorWarning-foreground', DEFAULT_PALETTE.hitStroke), marked: v('--vscode-editorError-foreground', DEFAULT_PALETTE.marked),
      text, halo: haloFor(text), family: cs.fontFamily || 'sans-serif',
    };
  }

  private layout(): void {
    const { tm, choice, dom } = this;
    if (!tm || !choice || !dom.img.complete || dom.img.naturalWidth === 0) return;
    const side = dom.side.element;
    const avail = Math.max(120, this.host.clientWidth - (side.hidden ? 0 : side.offsetWidth + 12) || tm.imageSize.width);
    const maxH = Math.min(window.innerHeight * (this.options.maxHeightFraction ?? 0.78), this.options.maxHeightPx ?? Infinity);
    const vp = viewportSize(tm.imageSize, avail, maxH, this.options.minDisplayWidth ?? 560);
    if (vp.width !== this.vp.width || vp.height !== this.vp.height) this.needFit = true;
    this.vp = vp;
    dom.viewport.style.width = `${vp.width}px`; // CSSOM, allowed under the CSP
    dom.viewport.style.height = `${vp.height}px`;
    const dpr = window.devicePixelRatio || 1;
    dom.canvas.width = Math.round(vp.width * dpr);
    dom.canvas.height = Math.round(vp.height * dpr);
    dom.img.style.width = `${tm.imageSize.width}px`;
    dom.img.style.height = `${tm.imageSize.height}px`;
    this.fitK = fitTransform(choice.rect, vp).k;
    if (this.needFit) {
      this.t = fitTransform(choice.rect, vp);
      this.needFit = false;
    }
    this.draw();
  }

  private setTransform(t: Transform): void {
    this.t = t;
    this.scheduleDraw();
  }

  private scheduleDraw(): void {
    cancelAnimationFrame(this.frame);
    this.frame = requestAnimationFrame(() => this.draw());
  }

  private fills(): (string | undefined)[] | undefined {
    const cat = this.categories;
    if (cat) return cat.values.map((v) => cat.colours[v]);
    // 64 colour steps: one canvas path per step instead of one fill per token.
    return this.heatVals?.values.map((v) => (Number.isNaN(v) ? undefined : interpolateViridis(Math.round(v * 63) / 63)));
  }

  private seen(): Box[] {
    return this.choice!.tiles.map((i) => this.tm!.views[i].rect);
  }

  private draw(): void {
    const { tm, choice, dom, t, vp } = this;
    if (!tm || !choice) return;
    dom.img.style.transform = `translate(${t.x}px, ${t.y}px) scale(${t.k})`;
    dom.img.classList.toggle('sl-pixelated', t.k > 1); // enlarged pixels stay sharp squares
    const ctx = dom.canvas.getContext('2d');
    if (ctx) {
      const dpr = dom.canvas.width / vp.width;
      const pal = this.palette();
      ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
      ctx.clearRect(0, 0, vp.width, vp.height);
      const common = { boxes: this.boxes, indices: this.spatial, t, width: vp.width, height: vp.height, hits: this.hits };
      paintCells(ctx, { ...common, fills: this.fills(), marked: this.marked, seen: this.seen(), imageSize: tm.imageSize, palette: pal });
      dom.root.dataset.labels = String(paintLabels(ctx, { ...common, tm, fit: this.fit, ...pal }));
      dom.root.dataset.theme = themeKind(); // the theme the canvas was last painted in (read by the e2e tests)
    }
    this.placeRect(dom.linkedRect, this.linked);
    this.placeRect(dom.hoverRect, this.hoverIndex);
    this.placeRect(dom.focusRect, this.focusIndex);
  }

  private placeRect(r: SVGRectElement, i: number | undefined): void {
    const b = i === undefined ? undefined : this.boxes[i];
    if (!b || !this.onScreen.has(i!)) return void r.setAttribute('display', 'none');
    const q = boxRect(b, this.t);
    r.removeAttribute('display');
    r.setAttribute('x', String(q.x));
    r.setAttribute('y', String(q.y));
    r.setAttribute('width', String(Math.max(1, q.width)));
    r.setAttribute('height', String(Math.max(1, q.height)));
  }

  // --- the current token: hover, keyboard focus, tooltip, description ---------------------------------

  private viewOf(i: number) {
    return this.tm!.views.length > 1 ? this.tm!.views[this.tm!.patches[i].tile] : undefined;
  }

  private showTip(i: number | undefined): void {
    const { tm, boxes } = this;
    if (i === undefined || !tm || !boxes[i]) return this.dom.tooltip.hide();
    const title = patchLabel({ ...tm.patches[i], words: [] }, 0, this.viewOf(i)).replace(/: no word$/, '');
    this.dom.tooltip.show(title, tm.patches[i], this.topK, boxRect(boxes[i]!, this.t), this.vp, this.options.tooltipExtra?.(i));
  }

  private setHover(i: number | undefined): void {
    if (i === this.hoverIndex) return;
    this.hoverIndex = i;
    this.placeRect(this.dom.hoverRect, i);
    this.showTip(i ?? this.focusIndex);
    for (const cb of this.hoverCbs) cb(i);
  }

  /** The keyboard position and its `data-focus` mirror (read by tests and assistive tooling) change together. */
  private setFocusIndex(i: number | undefined): void {
    this.focusIndex = i;
    if (i === undefined) delete this.dom.root.dataset.focus;
    else this.dom.root.dataset.focus = String(i);
  }

  private focusToken(i: number | undefined): void {
    if (!this.tm || i === undefined) return;
    this.setFocusIndex(i);
    const b = this.boxes[i];
    if (b) {
      const moved = panToShow(this.t, b, this.vp);
      if (moved !== this.t) {
        this.t = moved;
        this.draw();
      }
    }
    this.placeRect(this.dom.focusRect, i);
    this.describe(i);
    this.showTip(i);
    for (const cb of this.hoverCbs) cb(i);
  }

  private describe(i: number | undefined): void {
    this.dom.current.textContent = this.tm && i !== undefined ? patchLabel(this.tm.patches[i], this.topK, this.viewOf(i)) : '';
  }

  // --- highlight, search, views, zoom ---------------------------------------------------------------

  private applyHighlight(h: Mode | null): void {
    const { tm, dom } = this;
    this.mode = h;
    this.hits = null;
    let count = 0;
    if (tm && h) {
      const all = highlightedTokens(tm, h, this.topK);
      this.hits = new Uint8Array(tm.patches.length);
      for (const i of all) this.hits[i] = 1;
      count = this.spatial.filter((i) => this.hits![i]).length + this.listed.filter((i) => this.hits![i]).length;
      if (h.mode === 'topk') dom.controls.setSearchSummary(searchSummary(h.word, count, all.length));
    }
    dom.root.dataset.hits = String(count);
    if (tm) dom.side.render(tm, this.listed, this.topK, this.hits);
    this.scheduleDraw();
    const out = h ? { ...h, count } : null;
    for (const cb of this.highlightCbs) cb(out);
  }

  private pick(i: number): void {
    const word = this.tm?.patches[i]?.words[0]?.word;
    if (word === undefined) return;
    this.dom.controls.clearSearch();
    this.applyHighlight(this.mode?.mode === 'top1' && this.mode.word === word ? null : { word, mode: 'top1' });
    for (const cb of this.clickCbs) cb(word);
  }

  private search(query: string): void {
    if (query.trim()) return this.applyHighlight({ word: query, mode: 'topk' });
    this.dom.controls.clearSearch();
    if (this.mode?.mode === 'topk') this.applyHighlight(null);
  }

  private selectView(id: string): void {
    const { tm, dom } = this;
    if (!tm) return;
    const choice = (this.choice = this.choices.find((c) => c.id === id) ?? defaultChoice(this.choices));
    ({ spatial: this.spatial, listed: this.listed } = tokensOf(tm, choice));
    this.onScreen = new Set(this.spatial);
    this.hit = createHitIndex(this.boxes, this.spatial, tm.imageSize);
    dom.root.dataset.view = choice.id;
    dom.root.dataset.tokens = String(this.spatial.length);
    dom.caption.textContent = modelInputCaption(tm, choice);
    if (this.focusIndex !== undefined && !this.onScreen.has(this.focusIndex)) this.setFocusIndex(undefined);
    this.describe(this.focusIndex ?? this.spatial[0] ?? this.listed[0]);
    this.needFit = true;
    this.applyHighlight(this.mode);
    this.renderLegend();
    this.layout();
  }

  private zoom(action: 'in' | 'out' | 'fit'): void {
    if (!this.choice) return;
    const { vp } = this;
    this.setTransform(action === 'fit' ? fitTransform(this.choice.rect, vp) : zoomAbout(this.t, action === 'in' ? 1.5 : 1 / 1.5, vp.width / 2, vp.height / 2, this.fitK));
  }

  private renderLegend(): void {
    const { dom, categories } = this;
    if (categories) renderCategoryLegend(dom.legend, categories, [...this.spatial, ...this.listed], this.tm?.patches.length ?? 0);
    else renderContinuousLegend(dom.legend, this.heatVals);
    const on = !!(this.heatVals || categories);
    dom.root.dataset.heat = on ? 'on' : 'off';
    dom.svg.classList.toggle('sl-heat-on', on);
  }

  private setHeat(map: PatchScalarMap | 'score' | null): void {
    this.heat = map;
    this.heatVals = this.tm && map ? heatValues(this.tm, map, this.heatRange) : undefined;
  }

  // --- the public API -------------------------------------------------------------------------------

  update(next: TokenMap, url: string): void {
    const prev = this.tm;
    const sameViews = !!prev && prev.views.length === next.views.length && prev.views.every((v, i) => v.id === next.views[i].id);
    this.tm = next;
    this.boxes = next.patches.map((p) => (p.kind === 'patch' ? p.box : undefined));
    this.choices = viewChoices(next);
    // The keyboard position survives a new adapter or top-k only while the map has the focus.
    const focused = (this.dom.root.getRootNode() as Document | ShadowRoot).activeElement === this.dom.svg;
    if (!focused || (this.focusIndex !== undefined && this.focusIndex >= next.patches.length)) this.setFocusIndex(undefined);
    if (this.categories && this.categories.values.length !== next.patches.length) this.categories = null;
    if (this.mode?.mode === 'top1' && !next.patches.some((p) => p.words[0]?.word === this.mode!.word)) this.mode = null;
    this.setHeat(this.heat);
    const view = sameViews && this.choice ? this.choice.id : defaultChoice(this.choices).id;
    this.dom.controls.setChoices(this.choices, view);
    const keep = sameViews && url === this.imageUrl ? this.t : undefined;
    if (url !== this.imageUrl) {
      this.imageUrl = url;
      this.newReady();
      this.dom.img.src = url;
    }
    this.selectView(view);
    if (keep && this.dom.img.complete) {
      this.t = keep; // a new adapter or top-k keeps the zoom
      this.draw();
    }
  }

  setHeatmap(map: PatchScalarMap | 'score' | null, range?: { min: number; max: number }): void {
    this.heatRange = range;
    this.categories = null;
    this.setHeat(map);
    this.renderLegend();
    this.scheduleDraw();
  }

  setCategories(cat: Categories | null): void {
    this.categories = cat;
    if (cat) this.heatVals = undefined;
    else this.setHeat(this.heat);
    this.renderLegend();
    this.scheduleDraw();
  }

  highlightWord(word: string | null): void {
    this.dom.controls.clearSearch();
    this.applyHighlight(word === null ? null : { word, mode: 'top1' });
  }

  onWordClick(cb: (word: string) => void): void {
    this.clickCbs.push(cb);
  }

  onHighlight(cb: (h: Highlight | null) => void): void {
    this.highlightCbs.push(cb);
  }

  onHover(cb: (index: number | undefined) => void): void {
    this.hoverCbs.push(cb);
  }

  setLinked(i: number | undefined): void {
    this.linked = i;
    this.placeRect(this.dom.linkedRect, i);
  }

  onViewChange(cb: (id: string) => void): void {
    this.viewCbs.push(cb);
  }

  setView(id: string): void {
    if (!this.choices.some((c) => c.id === id) || id === this.choice?.id) return;
    this.dom.controls.setChoices(this.choices, id);
    this.selectView(id);
  }

  setTopK(k: number): void {
    this.topK = Math.max(1, Math.floor(k));
    if (this.mode?.mode === 'topk') this.applyHighlight(this.mode);
  }

  setMarked(mask: boolean[] | null): void {
    this.marked = mask;
    this.scheduleDraw();
  }

  get highlighted(): string | null {
    return this.mode?.word ?? null;
  }

  get ready(): Promise<void> {
    return this.readyPromise;
  }

  async exportPng(): Promise<Blob> {
    const { tm, choice } = this;
    if (!tm || !choice) throw new Error('nothing to export yet: no token map has been shown');
    await this.readyPromise;
    return drawOverlayPng({
      tm, img: this.dom.img, imageUrl: this.imageUrl, fills: this.fills(), hits: this.hits, marked: this.marked, fit: this.fit,
      palette: this.palette(), indices: this.spatial, seen: this.seen(),
    });
  }

  dispose(): void {
    this.resize.disconnect();
    this.unwatchTheme();
    cancelAnimationFrame(this.frame);
    cancelAnimationFrame(this.resizeFrame);
    this.clickCbs.length = this.highlightCbs.length = this.hoverCbs.length = this.viewCbs.length = 0;
    this.dom.root.remove();
  }
}
