// Encode texts with @huggingface/tokenizers for the Python tokenizer tests.
// usage: node check_tokenizer.mjs tokenizer.json tokenizer_config.json texts.json out.json
import { readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
const require = createRequire(path.join(process.cwd(), 'package.json'));
const mod = await import(require.resolve('@huggingface/tokenizers'));
const Tokenizer = mod.Tokenizer ?? mod.default?.Tokenizer;
const [tj, tc, textsFile, outFile] = process.argv.slice(2);
const tok = new Tokenizer(JSON.parse(readFileSync(tj, 'utf8')), JSON.parse(readFileSync(tc, 'utf8')));
const texts = JSON.parse(readFileSync(textsFile, 'utf8'));
const res = texts.map((t) => {
  const withSpecial = tok.encode(t).ids;
  const plain = tok.encode(t, { add_special_tokens: false }).ids;
  return { text: t, ids: Array.from(plain, Number), idsWithSpecial: Array.from(withSpecial, Number),
           decoded: tok.decode(Array.from(plain, Number)) };
});
writeFileSync(outFile, JSON.stringify(res));
