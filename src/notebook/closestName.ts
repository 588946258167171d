// "Did you mean …?": the closest of a few known names to a misspelt one, by edit distance. Used by the
// cell parser for commands and options, so its messages and the editor's quick fixes agree.

/** Levenshtein distance (insert, delete, substitute; one row of the table at a time). */
export function editDistance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    let prev = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const tmp = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] === b[j - 1] ? 0 : 1));
      prev = tmp;
    }
  }
  return row[b.length];
}

/**
 * The candidate nearest to `word` (case-insensitive), or undefined when none is within `maxDistance`
 * edits. Two edits catch a swapped pair ("explian") and a dropped or doubled letter; three already
 * turn unrelated short names into each other ("pack" → "labels" is 4, "words" → "labels" is 4).
 */
export function closestName(word: string, candidates: readonly string[], maxDistance = 2): string | undefined {
  let best: string | undefined;
  let bestDist = maxDistance + 1;
  const w = word.toLowerCase();
  for (const c of candidates) {
    const d = editDistance(w, c.toLowerCase());
    if (d < bestDist) [best, bestDist] = [c, d];
  }
  return best;
}
