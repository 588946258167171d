// The engine as a child process: JSON-RPC (vscode-jsonrpc) over stdio. Running inference here rather than
// in the extension host means a native crash or a runaway allocation cannot take VS Code down.
import { CancellationToken, ResponseError, createMessageConnection } from 'vscode-jsonrpc/node';
import { StreamMessageReader, StreamMessageWriter } from 'vscode-jsonrpc/node';
import { EngineErrorCode, type EngineMethod, type EngineNotifications, type EngineRequests } from '../shared/engineProtocol';
import { Engine } from './engine';
import { EngineError } from './engineError';

// stdout carries the protocol: anything printed by a library must go to stderr instead.
console.log = console.error;
console.info = console.error;

const connection = createMessageConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
const notify = <N extends keyof EngineNotifications>(method: N, params: EngineNotifications[N]) => void connection.sendNotification(method, params);
const engine = new Engine({
  log: (n) => notify('engine/log', n),
  progress: (n) => notify('engine/progress', n),
  device: (n) => notify('engine/device', n),
});

type Handler<M extends EngineMethod> = (params: EngineRequests[M][0], signal: AbortSignal) => Promise<EngineRequests[M][1]>;

function handle<M extends EngineMethod>(method: M, fn: Handler<M>): void {
  connection.onRequest(method, async (params: EngineRequests[M][0], token: CancellationToken) => {
    const ctl = new AbortController();
    // A cancellation that arrived before dispatch does not fire the event again.
    if (token.isCancellationRequested) ctl.abort();
    token.onCancellationRequested(() => ctl.abort());
    try {
      if (typeof params !== 'object' || params === null) throw new EngineError(EngineErrorCode.BadInput, `${method}: params must be an object`);
      return await fn(params, ctl.signal);
    } catch (e) {
      if (e instanceof EngineError) return new ResponseError(e.code, e.message);
      const err = e as Error;
      notify('engine/log', { level: 'error', message: `${method}: ${err.stack ?? err.message}` });
      return new ResponseError(EngineErrorCode.Internal, `${method} failed: ${err.message}`);
    }
  });
}

// One handler per method of EngineRequests (src/shared/engineProtocol.ts): the mapped type makes a method
// without a handler, or a handler for a method the protocol does not have, a compile error.
const HANDLERS: { [M in EngineMethod]: Handler<M> } = {
  'engine/packInfo': (p) => engine.packInfo(p),
  'engine/explain': (p, s) => engine.explain(p, s),
  'engine/compare': (p, s) => engine.compare(p, s),
  'engine/labels': (p, s) => engine.labels(p, s),
  'engine/wordsNear': (p, s) => engine.wordsNear(p, s),
  'engine/neighbors': (p, s) => engine.neighbors(p, s),
  'engine/metrics': (p, s) => engine.metrics(p, s),
  'engine/shutdown': async () => {
    await engine.dispose();
    setImmediate(() => process.exit(0));
    return null;
  },
};
for (const method of Object.keys(HANDLERS) as EngineMethod[]) handle(method, HANDLERS[method] as Handler<typeof method>);

// A bug must not leave a half-working engine behind: report it, exit, and let the client restart us.
process.on('uncaughtException', (e) => {
  process.stderr.write(`sea-lens engine: uncaught ${e.stack ?? e.message}\n`);
  process.exit(70);
});

connection.onClose(() => {
  void engine.dispose().finally(() => process.exit(0));
});
connection.listen();
