// Hover cost of the token-map overlay at 2,928 tokens (LLaVA-NeXT at 672²: base view + 2×2 tiles + newline
// tokens), in Chromium with real mouse input (Playwright → DevTools input events). Two numbers per run:
// the pointermove handling (a capture listener on window before the overlay's handler, a bubble listener
// after it, plus the layout the move causes) and the frames longer than 16 ms while hovering
// (PerformanceObserver 'long-animation-frame'). Run: node --import tsx bench/overlayHover.ts [view]
import { browserMissing, openHarness } from '../test/fixtures/overlayPage';

async function main(): Promise<void> {
  const missing = browserMissing();
  if (missing) {
    console.error(`overlayHover: skipped, ${missing}`);
    process.exit(2);
  }
  const view = process.argv[2] ?? 'tiles';
  const h = await openHarness({ width: 1400, height: 1000 });
  try {
    await h.page.evaluate(() => (window as any).harness.mount('llavaNext'));
    if (view !== 'tiles') await h.page.selectOption('.sl-view-select', view);
    await h.page.evaluate(() => {
      const w = window as any;
      w.moves = [];
      w.loaf = [];
      let t0 = 0;
      window.addEventListener('pointermove', () => (t0 = performance.now()), { capture: true });
      window.addEventListener('pointermove', () => {
        void (document.querySelector('.sl-tooltip') as HTMLElement).offsetHeight; // the layout this move causes
        w.moves.push(performance.now() - t0);
      });
      new PerformanceObserver((list) => w.loaf.push(...list.getEntries().map((e) => e.duration))).observe({ type: 'long-animation-frame', buffered: false });
    });
    const box = (await h.page.locator('.sl-svg').boundingBox())!;
    const t = Date.now();
    let steps = 0;
    for (let y = box.y + 3; y < box.y + box.height; y += 13) {
      for (let x = box.x + 3; x < box.x + box.width; x += 11) {
        await h.page.mouse.move(x, y);
        steps++;
      }
    }
    await h.page.waitForTimeout(200);
    const r = await h.page.evaluate(() => {
      const w = window as any;
      const m = [...w.moves].sort((a: number, b: number) => a - b);
      return { n: m.length, median: m[m.length >> 1], p95: m[Math.floor(m.length * 0.95)], max: m[m.length - 1], tokens: document.querySelector('.sl-overlay')!.getAttribute('data-tokens'), long: w.loaf as number[] };
    });
    const seconds = (Date.now() - t) / 1000;
    // Zooming redraws every box and label on screen, in the animation frame after the wheel event: a frame
    // callback queued after the overlay's own measures from the frame's start to the end of the redraw.
    const zoom = await h.page.evaluate(async () => {
      const svg = document.querySelector('.sl-svg') as SVGSVGElement;
      const r = svg.getBoundingClientRect();
      const out: number[] = [];
      for (const dy of [...Array(12).fill(-240), ...Array(12).fill(240)]) {
        svg.dispatchEvent(new WheelEvent('wheel', { deltaY: dy, clientX: r.left + r.width / 2, clientY: r.top + r.height / 2, bubbles: true, cancelable: true }));
        out.push(await new Promise<number>((res) => requestAnimationFrame((frameStart) => res(performance.now() - frameStart))));
        await new Promise((res) => requestAnimationFrame(res));
      }
      out.sort((a, b) => a - b);
      return { median: out[out.length >> 1], max: out[out.length - 1] };
    });
    console.log(`view ${view}: ${r.tokens} tokens on screen (2,928 in the map), ${r.n} pointer moves in ${seconds.toFixed(1)} s`);
    console.log(`pointermove handling: median ${r.median.toFixed(2)} ms, p95 ${r.p95.toFixed(2)} ms, max ${r.max.toFixed(2)} ms`);
    console.log(`wheel zoom, redraw of boxes and labels in its frame: median ${zoom.median.toFixed(1)} ms, max ${zoom.max.toFixed(1)} ms`);
    console.log(`frames over 16 ms while hovering: ${r.long.length}${r.long.length ? ` (longest ${Math.max(...r.long).toFixed(0)} ms)` : ''}`);
  } finally {
    await h.close();
  }
}

void main().catch((e) => {
  console.error(e);
  process.exit(1);
});
