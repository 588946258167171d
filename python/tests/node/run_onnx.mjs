// Run an ONNX model with onnxruntime-node (CPU) for the Python export round-trip tests.
// usage: node run_onnx.mjs spec.json   spec = {model, outDir, inputs: {name: {type, dims, file}}}
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
const require = createRequire(path.join(process.cwd(), 'package.json'));
const ort = require(process.env.ORT_PATH || 'onnxruntime-node');
const spec = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const feeds = {};
for (const [name, t] of Object.entries(spec.inputs)) {
  const buf = readFileSync(t.file);
  const ab = buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength);
  const data = t.type === 'int64' ? new BigInt64Array(ab) : new Float32Array(ab);
  feeds[name] = new ort.Tensor(t.type, data, t.dims);
}
const session = await ort.InferenceSession.create(spec.model, { executionProviders: ['cpu'] });
const out = await session.run(feeds);
const meta = { inputNames: session.inputNames, outputNames: session.outputNames, outputs: {} };
for (const [name, t] of Object.entries(out)) {
  const f = path.join(spec.outDir, `${name}.bin`);
  writeFileSync(f, Buffer.from(t.data.buffer, t.data.byteOffset, t.data.byteLength));
  meta.outputs[name] = { dims: t.dims, type: t.type, file: f };
}
writeFileSync(path.join(spec.outDir, 'meta.json'), JSON.stringify(meta));
