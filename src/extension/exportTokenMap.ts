// File exports of a TokenMap: JSON (the TokenMap version 2 as the engine returned it) and CSV (one row per
// token and rank). Pure functions, so they are easy to check.

import type { Box, TokenMap } from '../shared/tokenMap';

/** RFC 4180 quoting: fields with a quote, comma or line break are quoted, quotes doubled. */
export function csvField(v: string | number): string {
  const s = String(v);
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

/**
 * The header names its bases, since spreadsheets count from 1 and the JSON from 0: token, row and column
 * numbers are 1-based; boxes are in the original image's pixels (x, y of the top-left corner).
 */
export const TOKEN_CSV_HEADER = 'token (1-based),view,kind,row (1-based),col (1-based),box x (px),box y (px),box w (px),box h (px),rank,word,score';

const num = (v: number | undefined, digits = 2): string => (v === undefined ? '' : String(Number(v.toFixed(digits))));
const boxFields = (b: Box | undefined): string[] => [num(b?.x), num(b?.y), num(b?.w), num(b?.h)];
const oneBased = (v: number | undefined): string => (v === undefined ? '' : String(v + 1));

/** The columns that say where a token is: token, view, kind, row, col, box. */
export function tokenPlaceFields(tm: TokenMap, i: number): string[] {
  const p = tm.patches[i];
  return [String(i + 1), csvField(tm.views[p.tile]?.id ?? String(p.tile)), p.kind, oneBased(p.row), oneBased(p.col), ...boxFields(p.box)];
}

export function tokenMapToCsv(tm: TokenMap): string {
  const lines = [TOKEN_CSV_HEADER];
  tm.patches.forEach((p, i) => {
    const place = tokenPlaceFields(tm, i);
    if (!p.words.length) lines.push([...place, '', '', ''].join(','));
    p.words.forEach((w, r) => lines.push([...place, r + 1, csvField(w.word), typeof w.score === 'number' ? w.score.toFixed(6) : ''].join(',')));
  });
  return lines.join('\r\n') + '\r\n';
}

export function tokenMapToJson(tm: TokenMap): string {
  return JSON.stringify(tm, null, 2) + '\n';
}
