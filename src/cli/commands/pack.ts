// sea-lens pack init: makes a model pack from a Hugging Face checkpoint (a folder, a folder in the HF cache,
// or a Hub id to download first) through the Python exporter; prints progress; Ctrl+C cancels cleanly.
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EXIT, type CliCommand, type CliContext } from '../command';
import { packInit } from '../../packInit/packInit';
import { PACK_INIT_EXIT, PACK_INIT_EXIT_HELP, PackInitError } from '../../packInit/packInitError';

const HELP = `Usage: sea-lens pack init <FOLDER | ORG/NAME[@REVISION]> [--out DIR] [--layer N] [--python EXE]

Makes a SEA Lens model pack for a Hugging Face multimodal LLM: the vision encoder and projector exported to
ONNX, the preprocessing and tokenizer, and a manifest that reads the LLM's input-embedding table in place
from the checkpoint (nothing large is copied). Then: sea-lens explain IMG --pack DIR.
  FOLDER           a checkpoint folder (config.json + *.safetensors), a snapshot in the Hugging Face cache,
                   or a cache folder models--org--name (its refs/main snapshot)
  ORG/NAME[@REV]   a Hub model id, optionally at a branch, tag or commit: downloads only the configs, the
                   tokenizer and the safetensors shards that hold the vision tower, projector and
                   embed_tokens, into the shared Hugging Face cache (the one \`hf download\` and
                   transformers use), resuming an interrupted download and checking each file's sha256
  --out DIR        the pack folder (default ./sealens-packs/<org>--<name>, or the folder's name)
  --layer N        the vision layer the LLM reads (default: the model config's own choice)
  --python EXE     interpreter with torch, onnx and transformers. Default: $SEALENS_PYTHON, else the first of
                   .venv of the SEA Lens folder, $CONDA_PREFIX, python3, python, /usr/bin/python3 that has them
Environment: HF_TOKEN (or the token file of \`hf auth login\`) for gated and private repos; HF_HUB_CACHE /
HF_HOME for the cache; HF_HUB_OFFLINE=1 to use the cache only; HF_ENDPOINT for a mirror.
${PACK_INIT_EXIT_HELP}`;

export const packCommand: CliCommand = {
  name: 'pack',
  summary: 'pack init: make a model pack from a Hugging Face checkpoint or Hub id (needs Python with transformers)',
  help: HELP,
  async run(argv, ctx) {
    const [sub, ...rest] = argv;
    if (sub !== 'init') {
      ctx.stderr(`sea-lens pack: ${sub ? `unknown subcommand "${sub}"` : 'a subcommand is needed'} (subcommands: init)\nRun \`sea-lens pack --help\` for usage.\n`);
      return EXIT.usage;
    }
    let parsed;
    try {
      parsed = parseArgs({ args: rest, allowPositionals: true, options: { out: { type: 'string' }, layer: { type: 'string' }, python: { type: 'string' } } });
    } catch (e) {
      ctx.stderr(`sea-lens pack init: ${(e as Error).message}\n`);
      return EXIT.usage;
    }
    const { values, positionals } = parsed;
    if (positionals.length !== 1) {
      ctx.stderr(`sea-lens pack init: give exactly one checkpoint folder or Hub id org/name (got ${positionals.length})\nRun \`sea-lens pack --help\` for usage.\n`);
      return EXIT.usage;
    }
    let layer: number | undefined;
    if (values.layer !== undefined) {
      if (!/^-?\d+$/.test(values.layer)) {
        ctx.stderr(`sea-lens pack init: --layer must be a whole number, e.g. -2 for the second-to-last layer (got ${JSON.stringify(values.layer)})\n`);
        return EXIT.usage;
      }
      layer = parseInt(values.layer, 10);
    }
    return init(positionals[0], values.out, layer, values.python, ctx);
  },
};

async function init(source: string, out: string | undefined, layer: number | undefined, python: string | undefined, ctx: CliContext): Promise<number> {
  const abort = new AbortController();
  const onSigint = (): void => {
    ctx.stderr('cancelling…\n');
    abort.abort();
  };
  process.on('SIGINT', onSigint);
  let lastLine = '';
  try {
    const r = await packInit({
      source, out, layer, installDir: ctx.installDir, outRoot: path.resolve('sealens-packs'), signal: abort.signal,
      python: python ? { executable: python, source: 'flag' } : undefined,
      onProgress: (message, fraction) => {
        const line = `[${String(Math.round(100 * fraction)).padStart(3)}%] ${message}`;
        if (line !== lastLine) ctx.stdout(line + '\n');
        lastLine = line;
      },
      onLog: (l) => ctx.stderr(l + '\n'),
    });
    ctx.stdout(`pack: ${r.pack} (${r.name}, family ${r.family})\ncheckpoint: ${r.checkpoint}${r.repo ? ` (${r.repo}${r.revision ? `@${r.revision}` : ''})` : ''}\nnext: sea-lens explain IMAGE --pack ${r.pack}\n`);
    return PACK_INIT_EXIT.ok;
  } catch (e) {
    if (e instanceof PackInitError) {
      ctx.stderr(`sea-lens pack init: ${e.message}\n`);
      return e.exitCode;
    }
    throw e;
  } finally {
    process.off('SIGINT', onSigint);
  }
}
