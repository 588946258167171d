// A self-contained HTML report of a notebook: markdown, cell sources and outputs in one file that opens
// offline in any browser. When the notebook renderer bundle is at hand it is inlined (as a data: module)
// and draws every output exactly as VS Code does; the static text/html fallbacks are shown until then, and
// instead of it when scripts are off.

import { randomBytes } from 'node:crypto';
import { ERROR_MIME, type ErrorPayload } from '../shared/notebookFormat';
import type { NotebookDoc } from './notebookFile';
import { esc, fallbackOutputs } from './outputFallbacks';

export interface HtmlReportOptions {
  title: string;
  /** Text of dist/webview/notebookRenderer.js; without it the report is static. */
  rendererScript?: string;
}

export function htmlReport(doc: NotebookDoc, opts: HtmlReportOptions): string {
  const nonce = randomBytes(16).toString('base64');
  const parts: string[] = [];
  let outputIndex = 0;
  for (const cell of doc.cells) {
    if (cell.kind === 'markdown') {
      parts.push(`<section class="md">${markdownHtml(cell.source)}</section>`);
      continue;
    }
    parts.push(`<section class="code"><pre class="source">${esc(cell.source)}</pre>`);
    for (const o of cell.outputs) {
      if (o.mime === ERROR_MIME) {
        const e = o.data as ErrorPayload;
        parts.push(`<pre class="error">${esc(`${e.name}: ${e.message}`)}</pre>`);
        continue;
      }
      const id = `out${outputIndex++}`;
      const fallback = fallbackOutputs(o).find((f) => f.mime === 'text/html')?.data ?? `<pre>${esc(JSON.stringify(o.data).slice(0, 2000))}</pre>`;
      // `<` is escaped so that no payload can close the script element it travels in.
      const json = JSON.stringify({ mime: o.mime, data: o.data }).replace(/</g, '\\u003c');
      parts.push(`<div class="output" id="${id}" data-sealens-output>${fallback}</div><script type="application/json" id="${id}-data">${json}</script>`);
    }
    parts.push('</section>');
  }
  const script = opts.rendererScript ? bootScript(opts.rendererScript, nonce) : '';
  const csp = `default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'nonce-${nonce}' data:`;
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="${csp}">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${esc(opts.title)}</title>
<style>
body { font: 14px/1.5 system-ui, sans-serif; max-width: 1100px; margin: 2em auto; padding: 0 1em; color: #1e1e1e; }
pre.source { background: #f3f3f3; padding: .6em .8em; border-left: 3px solid #0078d4; }
pre.error { background: #fde7e9; color: #a1260d; padding: .6em .8em; white-space: pre-wrap; }
section.code { margin: 1.2em 0; } table { border-collapse: collapse; } td, th { border: 1px solid #ddd; padding: 2px 6px; }
</style></head><body>
${parts.join('\n')}
${script}
</body></html>
`;
}

function bootScript(renderer: string, nonce: string): string {
  const src = `data:text/javascript;base64,${Buffer.from(renderer).toString('base64')}`;
  return `<script type="module" nonce="${nonce}">
const { activate } = await import(${JSON.stringify(src)});
const api = activate({ workspace: { isTrusted: true }, getState() {}, setState() {}, getRenderer: async () => undefined });
for (const el of document.querySelectorAll('[data-sealens-output]')) {
  const payload = JSON.parse(document.getElementById(el.id + '-data').textContent);
  const text = JSON.stringify(payload.data);
  const item = { id: el.id, mime: payload.mime, metadata: {}, json: () => payload.data, text: () => text,
    data: () => new TextEncoder().encode(text), blob: () => new Blob([text], { type: payload.mime }) };
  const host = document.createElement('div');
  try { await api.renderOutputItem(item, host, new AbortController().signal); el.replaceChildren(host); }
  catch (err) { console.error('SEA Lens report: output', el.id, err); }
}
</script>`;
}

/** Enough Markdown for notebook prose: headings, paragraphs, lists, `code`, **bold**, *italic*. */
export function markdownHtml(src: string): string {
  const inline = (s: string) =>
    esc(s)
      .replace(/`([^`]+)`/g, '<code>$1</code>')
      .replace(/\*\*([^*]+)\*\*/g, '<strong>$1</strong>')
      .replace(/\*([^*]+)\*/g, '<em>$1</em>');
  const out: string[] = [];
  let list = false;
  for (const block of src.split(/\n{2,}/)) {
    for (const line of block.split('\n')) {
      const h = /^(#{1,6})\s+(.*)$/.exec(line);
      const li = /^\s*[-*]\s+(.*)$/.exec(line);
      if (li) {
        if (!list) out.push('<ul>');
        list = true;
        out.push(`<li>${inline(li[1])}</li>`);
        continue;
      }
      if (list) out.push('</ul>');
      list = false;
      if (h) out.push(`<h${h[1].length}>${inline(h[2])}</h${h[1].length}>`);
      else if (line.trim()) out.push(`<p>${inline(line)}</p>`);
    }
  }
  if (list) out.push('</ul>');
  return out.join('\n');
}
