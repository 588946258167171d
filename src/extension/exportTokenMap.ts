// File exports of a TokenMap: JSON (the TokenMap as the engine returned it) and CSV (one row per patch
// and rank). Pure functions, so they are easy to check.

import type { TokenMap } from '../shared/tokenMap';

/** RFC 4180 quoting: fields with a quote, comma or line break are quoted, quotes doubled. */
export function csvField(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export function tokenMapToCsv(tm: TokenMap): string {
  const lines = ['row,col,rank,word,score'];
  for (const p of tm.patches) {
    p.words.forEach((w, i) => lines.push([p.row, p.col, i + 1, csvField(w.word), w.score.toFixed(6)].join(',')));
  }
  return lines.join('\r\n') + '\r\n';
}

export function tokenMapToJson(tm: TokenMap): string {
  return JSON.stringify(tm, null, 2) + '\n';
}
