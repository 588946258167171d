// `sea-lens notebook run`: execute a .sealens notebook headlessly with the same engine and runner as the
// VS Code notebook, write the outputs back, and optionally an HTML report.
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import { EXIT, UsageError, type CliCommand } from '../command';
import { Engine } from '../../engine/engine';
import { inProcessEngine } from '../../notebook/inProcessEngine';
import { NotebookFormatError } from '../../notebook/notebookFile';
import { runNotebookFile } from '../../notebook/runNotebookFile';

const HELP = `Usage: sea-lens notebook run <file.sealens> [--out FILE] [--html FILE] [--pack DIR]

Runs every code cell of a SEA Lens notebook, top to bottom, and writes the outputs back into the file
(like executing a Jupyter notebook from the command line). A failing cell keeps its error output and
the run goes on. Relative paths in cells resolve against the notebook's folder; demo:samples/… and
demo:demo-pack name the sample images and the demo pack installed with SEA Lens.

Options:
  --out FILE    write the executed notebook here instead of over the input
  --html FILE   also write a self-contained HTML report (opens offline in a browser)
  --pack DIR    model pack for cells without a \`pack\` line (default: the demo pack)

Exit codes: 0 every cell ran, 1 a cell failed, 2 usage error or a notebook file that cannot be read.`;

export const notebookCommand: CliCommand = {
  name: 'notebook',
  summary: 'Run a .sealens notebook headlessly and write its outputs (and an HTML report)',
  help: HELP,
  async run(argv, ctx) {
    const { positionals, values } = parseArgs({
      args: argv,
      allowPositionals: true,
      options: { out: { type: 'string' }, html: { type: 'string' }, pack: { type: 'string' } },
    });
    const [sub, file, ...extra] = positionals;
    if (sub !== 'run') throw new UsageError(sub ? `unknown subcommand "${sub}" (only "run")` : 'missing subcommand: sea-lens notebook run <file.sealens>');
    if (!file) throw new UsageError('missing the notebook file: sea-lens notebook run <file.sealens>');
    if (extra.length) throw new UsageError(`unexpected argument "${extra[0]}"`);
    const pack = path.resolve(values.pack ?? path.join(ctx.installDir, 'media', 'demo-pack'));
    if (!existsSync(path.join(pack, 'manifest.json'))) {
      throw new UsageError(`no model pack at ${pack} (manifest.json missing)${values.pack ? '' : '; build the demo pack or pass --pack DIR'}`);
    }
    const rendererPath = path.join(ctx.installDir, 'dist', 'webview', 'notebookRenderer.js');
    let rendererScript: string | undefined;
    if (values.html) {
      if (existsSync(rendererPath)) rendererScript = readFileSync(rendererPath, 'utf8');
      else ctx.stderr(`sea-lens notebook: ${rendererPath} is missing (run \`npm run build\`); the report will have static tables only.\n`);
    }
    const engine = new Engine();
    const abort = new AbortController();
    const onSigint = () => abort.abort();
    const noticed = new Set<string>();
    process.once('SIGINT', onSigint);
    try {
      const summary = await runNotebookFile(file, {
        engine: inProcessEngine(engine),
        pack,
        demoDir: path.join(ctx.installDir, 'media'),
        // The device fallback is the same for every cell: said once here, not stored in each output.
        onNotice: (n) => {
          if (noticed.has(n)) return;
          noticed.add(n);
          ctx.stderr(`note: ${n}\n`);
        },
        out: values.out,
        html: values.html,
        rendererScript,
        signal: abort.signal,
        onCell: (s) => ctx.stderr(`cell ${s.index + 1}: ${s.status} (${Math.round(s.ms)} ms, ${s.outputs} output${s.outputs === 1 ? '' : 's'})${s.error ? ` — ${s.error}` : ''}\n`),
      });
      const failed = summary.cells.filter((c) => c.status !== 'ok').length;
      ctx.stdout(`${summary.cells.length} code cells, ${failed} failed, ${Math.round(summary.ms)} ms → ${values.out ?? file}${values.html ? ` and ${values.html}` : ''}\n`);
      return failed ? EXIT.failed : EXIT.ok;
    } catch (e) {
      if (e instanceof NotebookFormatError) {
        ctx.stderr(`sea-lens notebook: ${e.message}\n`);
        return EXIT.usage;
      }
      throw e;
    } finally {
      process.off('SIGINT', onSigint);
      await engine.dispose();
    }
  },
};
