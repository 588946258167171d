// Pointer, wheel and keyboard on the token map: hover hit-tests, a drag pans, a click without a drag picks
// the token, the wheel zooms about the pointer, arrows move between tokens, Enter picks, Escape clears,
// + / - / 0 zoom and fit. The overlay supplies what each gesture does.

import type { NavKey } from '../../src/shared/overlayLayout';

export interface InputTarget {
  /** The token under a point of the SVG (display pixels), or undefined. */
  tokenAt(x: number, y: number): number | undefined;
  hover(index: number | undefined): void;
  pick(index: number): void;
  /** A drag started (remember the view) / moved by (dx, dy) display pixels from its start. */
  panStart(): void;
  panBy(dx: number, dy: number): void;
  zoomAt(factor: number, x: number, y: number): void;
  zoom(action: 'in' | 'out' | 'fit'): void;
  /** Keyboard focus arrived (not by a click). */
  focusByKeyboard(): void;
  blur(): void;
  navigate(key: NavKey): void;
  pickFocused(): void;
  clear(): void;
}

const NAV_KEYS = new Set(['ArrowLeft', 'ArrowRight', 'ArrowUp', 'ArrowDown', 'Home', 'End']);
const ZOOM_KEYS: Record<string, 'in' | 'out' | 'fit'> = { '+': 'in', '=': 'in', '-': 'out', _: 'out', '0': 'fit' };
/** A press that moves less than this (px) is a click, not a drag. */
const DRAG_SLOP = 4;

export function attachOverlayInput(svg: SVGSVGElement, target: InputTarget): void {
  const local = (ev: { clientX: number; clientY: number }): [number, number] => {
    const r = svg.getBoundingClientRect();
    return [ev.clientX - r.left, ev.clientY - r.top];
  };
  let drag: { x: number; y: number; moved: boolean } | undefined;
  svg.addEventListener('pointermove', (ev) => {
    const [x, y] = local(ev);
    if (drag && ev.buttons & 1) {
      if (Math.abs(x - drag.x) + Math.abs(y - drag.y) > DRAG_SLOP) drag.moved = true;
      if (drag.moved) return target.panBy(x - drag.x, y - drag.y);
    }
    target.hover(target.tokenAt(x, y));
  });
  svg.addEventListener('pointerleave', () => target.hover(undefined));
  svg.addEventListener('pointerdown', (ev) => {
    if (ev.button !== 0) return;
    const [x, y] = local(ev);
    drag = { x, y, moved: false };
    target.panStart();
    svg.setPointerCapture?.(ev.pointerId);
  });
  svg.addEventListener('pointerup', (ev) => {
    const d = drag;
    drag = undefined;
    if (!d || d.moved) return;
    const i = target.tokenAt(...local(ev));
    if (i !== undefined) target.pick(i);
  });
  svg.addEventListener('wheel', (ev) => {
    ev.preventDefault();
    target.zoomAt(Math.exp(-ev.deltaY * (ev.deltaMode === 1 ? 0.05 : 0.002)), ...local(ev));
  }, { passive: false });
  // Focus from a click arrives between pointerdown and pointerup: the click picks the token, the view must
  // not jump to the first one.
  svg.addEventListener('focus', () => drag || target.focusByKeyboard());
  svg.addEventListener('blur', () => target.blur());
  svg.addEventListener('keydown', (ev) => {
    if (NAV_KEYS.has(ev.key)) target.navigate(ev.key as NavKey);
    else if (ev.key === 'Enter' || ev.key === ' ') target.pickFocused();
    else if (ev.key === 'Escape') target.clear();
    else if (ZOOM_KEYS[ev.key]) target.zoom(ZOOM_KEYS[ev.key]);
    else return;
    ev.preventDefault();
  });
}
