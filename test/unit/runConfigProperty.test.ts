// PROPERTY: the launcher (src/training/runConfig.ts) and the trainer (python/sealens/runner/config.py) read
// run configs from one schema (schemas/run-config.schema.json) and must agree on every file: accepted by
// both or refused by both, naming the same key. fast-check, fixed seed, 1,500 generated config texts (valid
// configs, each key set to boundary and random JSON values, missing and unknown keys, duplicate keys,
// numbers JavaScript cannot hold); Python reads the whole batch in one process. Neither side may crash:
// every refusal is a RunConfigError / ConfigError that names the file (and the key, when there is one).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import fc from 'fast-check';
import { RunConfigError, validateRunConfig } from '../../src/training/runConfig';

const ROOT = path.resolve(__dirname, '..', '..');
const PYTHON = process.env.SEALENS_PYTHON ?? '/usr/bin/python3';
const CASES = 1500;
const SEED = 20261130;

const KEYS = ['formatVersion', 'name', '$schema', 'comment', 'pack', 'dataset', 'imageFolder', 'outputName', 'startAdapter', 'lambda', 'epochs', 'learningRate', 'batchSize', 'device', 'seed', 'window', 'warmupFraction', 'weightDecay', 'validationImages', 'checkpointEvery', 'maxImages', 'llm', 'labelModel', 'allowDownload', 'slurm'];

/** Number literals as JSON text, some beyond what a double holds exactly (both sides parse them themselves). */
const numberText = fc.oneof(
  fc.constantFrom('0', '-0', '1', '2', '-1', '0.5', '1.5', '2.0', '1e3', '0.999999', '1e-320', '9007199254740991', '9007199254740992', '9007199254740993',
    '18446744073709551616', '1e308', '1.7976931348623157e308', '1e400', '-1e400', '99999999999999999999999', '9007199254740991.0000001', '1E2'),
  fc.integer({ min: -5, max: 20 }).map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => JSON.stringify(d)),
  fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String),
);
/** Strings at the edges of the patterns: blanks, line breaks, Unicode spaces, a BOM, lone surrogates. */
const stringText = fc.oneof(
  fc.constantFrom('', ' ', '\t', '\n', ' \r\n', '\u00a0', '\ufeff', '\u2028', '\u001c', 'x', 'x\n', '\nx', 'ok-name_1.v2', '.hidden', '-x', '../x', 'a/b', 'é', '名前', '😀', '\ud800', 'auto', 'cpu', 'cuda', 'CPU', 'tpu'),
  fc.string({ maxLength: 12 }),
  fc.string({ maxLength: 6, unit: 'binary' }),
).map((s) => JSON.stringify(s));
const valueText: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: numberText },
  { weight: 3, arbitrary: stringText },
  { weight: 1, arbitrary: fc.constantFrom('null', 'true', 'false', '[]', '{}', '[1]', 'NaN', 'Infinity') },
  { weight: 1, arbitrary: fc.jsonValue({ maxDepth: 2 }).map((v) => JSON.stringify(v)) },
  { weight: 1, arbitrary: fc.dictionary(fc.constantFrom('time', 'mem', 'partition', 'account', 'cpusPerTask', 'nodes', 'gpusPerNode', 'gpus', 'x'), fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }).map((v) => JSON.stringify(v)) },
);
const keyText = fc.oneof({ weight: 6, arbitrary: fc.constantFrom(...KEYS) }, { weight: 1, arbitrary: fc.constantFrom('devise', '7', '0', '__proto__', 'constructor', 'Lambda', '') }, { weight: 1, arbitrary: fc.string({ maxLength: 6 }) });

/** A valid config, then 0–3 edits (set a key to a generated value, or drop a key), written as JSON text by
 *  hand so that duplicate keys and `__proto__` reach both parsers as written. */
const configText = fc.oneof(
  { weight: 12, arbitrary: fc.tuple(
    fc.record({ pack: fc.constantFrom('p', 'packs/demo'), dataset: fc.constantFrom('d', 'data/list.json'), outputName: fc.constantFrom('x', 'sea-v1.2') }),
    fc.array(fc.oneof(fc.tuple(keyText, valueText), fc.tuple(keyText, fc.constant(undefined))), { maxLength: 3 }),
  ).map(([req, edits]) => {
    const entries: [string, string | undefined][] = [['formatVersion', '1'], ['pack', JSON.stringify(req.pack)], ['dataset', JSON.stringify(req.dataset)], ['outputName', JSON.stringify(req.outputName)]];
    for (const [k, v] of edits) {
      if (v === undefined) entries.splice(0, entries.length, ...entries.filter(([x]) => x !== k));
      else entries.push([k, v]);
    }
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}: ${v}`).join(', ')}}`;
  }) },
  { weight: 1, arbitrary: fc.constantFrom('[]', '1', '"x"', 'null', '{}', '{"formatVersion": 2}', '{"formatVersion": 1.0, "pack": "p", "dataset": "d", "outputName": "x"}') },
);

type Verdict = { ok: boolean; key: string | null; error?: string };

function tsVerdict(text: string): Verdict {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    return { ok: false, key: null, error: 'not valid JSON' };
  }
  try {
    validateRunConfig(raw, 'case.json');
    return { ok: true, key: null };
  } catch (e) {
    assert.ok(e instanceof RunConfigError, `a refusal must be a RunConfigError, got ${String(e)} for ${text}`);
    assert.ok(e.message.startsWith('case.json: '), `the message names the file: ${e.message}`);
    if (e.key !== undefined) assert.ok([e.key, JSON.stringify(e.key)].some((k) => e.message.startsWith(`case.json: ${k}: `)), `the message names the key: ${e.message}`);
    return { ok: false, key: e.key ?? null, error: e.message };
  }
}

const PY_BATCH = `
import json, sys
from sealens.runner import config
out = []
for line in open(sys.argv[1], encoding="utf-8"):
    text = json.loads(line)
    try:
        config.loads(text, "case.json", ".")
        out.append({"ok": True, "key": None})
    except config.ConfigError as e:
        msg = str(e)
        assert msg.startswith("case.json: "), msg
        assert e.key is None or msg.startswith("case.json: " + config.shown_key(e.key) + ": "), msg
        out.append({"ok": False, "key": e.key, "error": msg})
print(json.dumps(out))
`;

function pythonMissing(): string | undefined {
  const r = spawnSync(PYTHON, ['-c', 'import jsonschema'], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `SKIPPED: ${PYTHON} cannot import jsonschema (apt install python3-jsonschema, or pip install "jsonschema>=4"; set SEALENS_PYTHON for another interpreter)`;
}

test(`PROPERTY - run config: launcher and trainer agree on accept/refuse and the key named (${CASES} cases, seed ${SEED})`, (t) => {
  const why = pythonMissing();
  if (why) return t.skip(why);
  const texts = fc.sample(configText, { seed: SEED, numRuns: CASES });
  const ts = texts.map(tsVerdict);
  const dir = mkdtempSync(path.join(os.tmpdir(), 'sealens-runcfg-prop-'));
  t.after(() => rmSync(dir, { recursive: true, force: true }));
  const batch = path.join(dir, 'cases.jsonl');
  writeFileSync(batch, texts.map((x) => JSON.stringify(x)).join('\n') + '\n');
  const r = spawnSync(PYTHON, ['-c', PY_BATCH, batch], { env: { ...process.env, PYTHONPATH: path.join(ROOT, 'python') }, encoding: 'utf8', maxBuffer: 64 << 20, timeout: 120_000 });
  assert.equal(r.status, 0, `the Python side crashed: ${r.stderr}`);
  const py = JSON.parse(r.stdout) as Verdict[];
  assert.equal(py.length, texts.length);
  const disagree = texts.flatMap((text, i) => (ts[i].ok !== py[i].ok || ts[i].key !== py[i].key ? [`${text}\n  TS: ${JSON.stringify(ts[i])}\n  Python: ${JSON.stringify(py[i])}`] : []));
  assert.deepEqual(disagree.slice(0, 5), [], `${disagree.length} of ${texts.length} cases disagree`);
  const accepted = ts.filter((v) => v.ok).length;
  // The generator must exercise both answers, or the agreement proves little.
  assert.ok(accepted > CASES * 0.1 && accepted < CASES * 0.9, `accepted ${accepted} of ${CASES}`);
  const keyed = ts.filter((v) => !v.ok && v.key).length;
  t.diagnostic(`accepted ${accepted}, refused naming a key ${keyed}, refused as a whole ${CASES - accepted - keyed}`);
});
