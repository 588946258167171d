// The host side of the engine process: spawns it with the running Node/Electron binary
// (ELECTRON_RUN_AS_NODE=1 makes VS Code's Electron behave as Node), sends typed requests, forwards
// cancellation, times requests out, and — when the process dies — rejects everything pending with the exit
// code/signal and the tail of its stderr, then starts a fresh process on the next request. A request that
// runs past its timeout kills the process: inference is synchronous native work that cannot be
// interrupted, so a stuck engine would otherwise hold every later request behind it.
import { spawn, type ChildProcess } from 'node:child_process';
import {
  CancellationTokenSource, ResponseError, createMessageConnection, type CancellationToken, type MessageConnection,
  StreamMessageReader, StreamMessageWriter,
} from 'vscode-jsonrpc/node';
import { EngineErrorCode, type DeviceNotice, type EngineMethod, type EngineRequests, type LogNotice, type ProgressNotice } from '../shared/engineProtocol';

export interface EngineClientOptions {
  /** Path of dist/engineProcess.js. */
  enginePath: string;
  /** Default per-request timeout (ms). Default 120,000; loading a large pack cold takes a while. */
  timeoutMs?: number;
  /** Binary to run; default process.execPath (Node, or VS Code's Electron in the extension host). */
  execPath?: string;
  /** Runtime flags before the script (e.g. ['--import', 'tsx'] to run the TypeScript source in tests). */
  execArgv?: string[];
  env?: NodeJS.ProcessEnv;
  onLog?(n: LogNotice): void;
  onProgress?(n: ProgressNotice): void;
  onDevice?(n: DeviceNotice): void;
}

export interface RequestOptions {
  timeoutMs?: number;
  /** A vscode.CancellationToken (structurally the same as vscode-jsonrpc's) or an AbortSignal. */
  token?: CancellationToken | AbortSignal;
}

/** A request failed; `code` is an EngineErrorCode when the engine said why, or ProcessExited / Timeout. */
export class EngineRequestError extends Error {
  constructor(
    readonly code: EngineErrorCode | 'ProcessExited' | 'Timeout',
    message: string,
  ) {
    super(message);
    this.name = 'EngineRequestError';
  }
}

interface Live {
  child: ChildProcess;
  connection: MessageConnection;
  pending: Set<(e: Error) => void>;
  stderrTail: string[];
  /** Detaches this process at once (the next request starts a fresh one) and rejects what is pending. */
  gone(why: string): void;
}

export class EngineClient {
  private live: Live | undefined;
  private disposed = false;
  /** How many times a process was started (tests and diagnostics). */
  starts = 0;

  constructor(private readonly options: EngineClientOptions) {}

  get pid(): number | undefined {
    return this.live?.child.pid;
  }

  private start(): Live {
    if (this.live) return this.live;
    if (this.disposed) throw new EngineRequestError('ProcessExited', 'SEA Lens engine client was disposed');
    const child = spawn(this.options.execPath ?? process.execPath, [...(this.options.execArgv ?? []), this.options.enginePath], {
      env: { ...process.env, ...this.options.env, ELECTRON_RUN_AS_NODE: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    this.starts++;
    const connection = createMessageConnection(new StreamMessageReader(child.stdout!), new StreamMessageWriter(child.stdin!));
    const live: Live = { child, connection, pending: new Set(), stderrTail: [], gone: () => undefined };
    child.stderr!.on('data', (d: Buffer) => {
      live.stderrTail.push(...d.toString('utf8').split('\n').filter((l) => l.trim()));
      live.stderrTail.splice(0, Math.max(0, live.stderrTail.length - 40));
    });
    connection.onNotification('engine/log', (n: LogNotice) => this.options.onLog?.(n));
    connection.onNotification('engine/progress', (n: ProgressNotice) => this.options.onProgress?.(n));
    connection.onNotification('engine/device', (n: DeviceNotice) => this.options.onDevice?.(n));
    const onGone = (why: string) => {
      if (this.live !== live) return;
      this.live = undefined;
      // A Node stack trace ends with noise ("}", "Node.js v20…"): quote the last line that names an error.
      const telling = [...live.stderrTail].reverse().find((l) => /\b(\w*Error|Cannot|failed|uncaught)\b/.test(l));
      const quote = telling ?? live.stderrTail.slice(-2).join(' | ');
      const tail = quote ? ` Output: ${quote.trim().slice(0, 300)}` : '';
      const err = new EngineRequestError('ProcessExited', `SEA Lens engine process ${why}; it will be restarted on the next request.${tail}`);
      for (const reject of live.pending) reject(err);
      live.pending.clear();
      connection.dispose();
    };
    live.gone = onGone;
    child.on('exit', (code, signal) => onGone(signal ? `was killed by ${signal}` : `exited with code ${code}`));
    child.on('error', (e) => onGone(`could not run (${e.message})`));
    connection.onError(() => undefined); // reported through 'exit'
    connection.listen();
    this.live = live;
    return live;
  }

  request<M extends EngineMethod>(method: M, params: EngineRequests[M][0], opts: RequestOptions = {}): Promise<EngineRequests[M][1]> {
    let live: Live;
    try {
      live = this.start();
    } catch (e) {
      return Promise.reject(e);
    }
    const cts = new CancellationTokenSource();
    const timeoutMs = opts.timeoutMs ?? this.options.timeoutMs ?? 120_000;
    return new Promise<EngineRequests[M][1]>((resolve, reject) => {
      let done = false;
      let unlink = () => undefined as void;
      const finish = (f: () => void) => {
        if (done) return;
        done = true;
        clearTimeout(timer);
        live.pending.delete(fail);
        unlink();
        f();
      };
      const fail = (e: Error) => finish(() => reject(e));
      const timer = setTimeout(() => {
        cts.cancel();
        fail(new EngineRequestError('Timeout', `SEA Lens engine: ${method} timed out after ${timeoutMs} ms; the engine process was stopped and will be restarted on the next request`));
        this.kill(live, `was stopped because ${method} ran past its ${timeoutMs} ms timeout`);
      }, timeoutMs);
      // Cancelling tells the engine (so it stops work) and settles the promise at once.
      live.pending.add(fail);
      unlink = linkCancellation(opts.token, () => {
        cts.cancel();
        fail(new EngineRequestError(EngineErrorCode.Cancelled, `SEA Lens engine: ${method} cancelled`));
      });
      if (done) return;
      live.connection.sendRequest(method, params, cts.token).then(
        (r) => finish(() => resolve(r as EngineRequests[M][1])),
        (e: unknown) => fail(e instanceof ResponseError ? new EngineRequestError(e.code as EngineErrorCode, e.message) : (e as Error)),
      );
    });
  }

  /** Stops a stuck process now: later requests go to a fresh one, pending ones are rejected with `why`. */
  private kill(live: Live, why: string): void {
    live.gone(why);
    if (live.child.exitCode === null && live.child.signalCode === null) live.child.kill('SIGKILL');
  }

  /** Asks the engine to exit; kills it if it does not within a second. */
  async dispose(): Promise<void> {
    this.disposed = true;
    const live = this.live;
    if (!live) return;
    const exited = new Promise<void>((r) => live.child.once('exit', () => r()));
    live.connection.sendRequest('engine/shutdown', {}).catch(() => undefined);
    const t = setTimeout(() => live.child.kill('SIGKILL'), 1000);
    await exited;
    clearTimeout(t);
  }
}

function linkCancellation(token: CancellationToken | AbortSignal | undefined, cancel: () => void): () => void {
  if (!token) return () => undefined;
  if ('addEventListener' in token) {
    if (token.aborted) cancel();
    token.addEventListener('abort', cancel);
    return () => token.removeEventListener('abort', cancel);
  }
  if (token.isCancellationRequested) cancel();
  const d = token.onCancellationRequested(cancel);
  return () => d.dispose();
}
