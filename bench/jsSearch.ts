// The alternative to the ONNX MatMul+TopK search that the benchmark measures against: a plain JS loop
// over the pre-normalised table with a small insertion-sorted top-k per token.
export function jsTopK(tokens: Float32Array, n: number, table: Float32Array, rows: number, dim: number, k: number): { values: Float32Array; indices: Int32Array } {
  const values = new Float32Array(n * k).fill(-Infinity);
  const indices = new Int32Array(n * k).fill(-1);
  const unit = new Float32Array(dim);
  for (let p = 0; p < n; p++) {
    let ss = 0;
    for (let j = 0; j < dim; j++) ss += tokens[p * dim + j] ** 2;
    const inv = 1 / (Math.sqrt(ss) || 1);
    for (let j = 0; j < dim; j++) unit[j] = tokens[p * dim + j] * inv;
    const v = values.subarray(p * k, (p + 1) * k);
    const ix = indices.subarray(p * k, (p + 1) * k);
    for (let r = 0; r < rows; r++) {
      let dot = 0;
      const off = r * dim;
      for (let j = 0; j < dim; j++) dot += unit[j] * table[off + j];
      if (dot <= v[k - 1]) continue;
      let i = k - 1;
      while (i > 0 && v[i - 1] < dot) {
        v[i] = v[i - 1];
        ix[i] = ix[i - 1];
        i--;
      }
      v[i] = dot;
      ix[i] = r;
    }
  }
  return { values, indices };
}
