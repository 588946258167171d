// The word search: every token whose top-k words contain the query. Tokenizer words carry markers of a
// leading space (GPT-2's "Ġ", SentencePiece's "▁") and case, which a person does not type; both are
// ignored when matching. Pure: no DOM.

import type { TokenMap } from '../../src/shared/tokenMap';

export function normaliseWord(w: string): string {
  return w.trim().replace(/^[Ġ▁]+/u, '').trim().toLocaleLowerCase();
}

/** Token indices (among `among`, default all) whose first `topK` words include `query`. */
export function searchTokens(tm: TokenMap, query: string, topK: number, among?: readonly number[]): number[] {
  const q = normaliseWord(query);
  if (!q) return [];
  const ids = among ?? tm.patches.map((_, i) => i);
  return ids.filter((i) => tm.patches[i].words.slice(0, topK).some((w) => normaliseWord(w.word) === q));
}

/** The count line beside the search box. */
export function searchSummary(query: string, inView: number, total: number): string {
  if (!normaliseWord(query)) return '';
  const word = `“${query.trim()}”`;
  if (total === 0) return `no token has ${word} in its top-k`;
  return inView === total ? `${total} token${total === 1 ? '' : 's'} with ${word}` : `${inView} here, ${total} in all, with ${word}`;
}

/** Tokens a highlight marks: the same top word (a click) or the word in the top-k (the search). */
export function highlightedTokens(tm: TokenMap, h: { word: string; mode: 'top1' | 'topk' }, topK: number): number[] {
  return h.mode === 'topk' ? searchTokens(tm, h.word, topK) : tm.patches.flatMap((p, i) => (p.words[0]?.word === h.word ? [i] : []));
}
