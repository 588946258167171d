// The engine process and its client: typed requests over JSON-RPC, structured errors, timeouts,
// cancellation, and a crash (SIGKILL) rejecting every pending request with a clear message, then a restart.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import sharp from 'sharp';
import { mkdirSync } from 'node:fs';
import { EngineClient, EngineRequestError } from '../../src/engineClient/engineClient';
import { EngineErrorCode, type DeviceNotice } from '../../src/shared/engineProtocol';
import { ROOT, fixturePacks } from '../fixtures/fixturePacks';

const fx = fixturePacks();
const TMP = path.join(ROOT, '.test-artifacts', 'process-tests');
const IMG = path.join(TMP, 'a.png');
const PACK = path.join(fx.dir ?? '', 'clip');

describe('engine process + client', { skip: fx.skip }, () => {
  const devices: DeviceNotice[] = [];
  const client = new EngineClient({
    enginePath: path.join(ROOT, 'src', 'engine', 'engineProcess.ts'),
    execArgv: ['--import', 'tsx'],
    env: { ...process.env },
    onDevice: (n) => devices.push(n),
  });
  before(async () => {
    mkdirSync(TMP, { recursive: true });
    await sharp({ create: { width: 40, height: 40, channels: 3, background: '#888' } }).png().toFile(IMG);
  });
  after(() => client.dispose());

  it('explain over JSON-RPC returns the TokenMap; device notification arrives', async () => {
    const m = await client.request('engine/explain', { image: IMG, pack: PACK, topK: 2 });
    assert.equal(m.patches.length, 16);
    assert.equal(m.patches[0].words.length, 2);
    assert.equal(devices[0]?.used, 'cpu');
    const info = await client.request('engine/packInfo', { pack: PACK });
    assert.deepEqual(info.adapters.map((a) => a.name), ['sea', 'base']);
  });

  it('BAD INPUT - broken image → structured ImageInvalid error with the file name', async () => {
    await assert.rejects(client.request('engine/explain', { image: path.join(TMP, 'missing.png'), pack: PACK }), (e: EngineRequestError) => {
      assert.equal(e.code, EngineErrorCode.ImageInvalid);
      assert.match(e.message, /missing\.png: cannot read the image/);
      return true;
    });
  });

  it('an AbortSignal cancels a queued request', async () => {
    const ctl = new AbortController();
    const slow = client.request('engine/metrics', { folder: TMP, pack: PACK });
    const p = client.request('engine/explain', { image: IMG, pack: PACK }, { token: ctl.signal });
    ctl.abort();
    await assert.rejects(p, (e: EngineRequestError) => e.code === EngineErrorCode.Cancelled || /cancel/i.test(e.message));
    await slow;
  });

  it('a request that exceeds its timeout is rejected with the method and the limit', async () => {
    await assert.rejects(client.request('engine/metrics', { folder: TMP, pack: PACK }, { timeoutMs: 1 }), { message: /engine\/metrics timed out after 1 ms/ });
  });

  it('engine process crash → pending requests rejected with exit signal, next request restarts it', async () => {
    await client.request('engine/packInfo', { pack: PACK });
    const pid = client.pid!;
    const starts = client.starts;
    const pending = client.request('engine/explain', { image: IMG, pack: PACK });
    process.kill(pid, 'SIGKILL');
    await assert.rejects(pending, (e: EngineRequestError) => {
      assert.equal(e.code, 'ProcessExited');
      assert.match(e.message, /SEA Lens engine process was killed by SIGKILL; it will be restarted on the next request/);
      return true;
    });
    const m = await client.request('engine/explain', { image: IMG, pack: PACK });
    assert.equal(m.patches.length, 16);
    assert.equal(client.starts, starts + 1);
    assert.notEqual(client.pid, pid);
  });

  it('BAD CALL - request after dispose → rejected promise, no process started', async () => {
    const c = new EngineClient({ enginePath: path.join(ROOT, 'src', 'engine', 'engineProcess.ts'), execArgv: ['--import', 'tsx'] });
    await c.dispose();
    await assert.rejects(c.request('engine/packInfo', { pack: PACK }), { message: /engine client was disposed/ });
    assert.equal(c.starts, 0);
  });

  it('BAD CALL - engine binary that cannot run → pending request rejected with the reason', async () => {
    const c = new EngineClient({ enginePath: path.join(TMP, 'no-such-engine.js') });
    await assert.rejects(c.request('engine/packInfo', { pack: PACK }), { message: /SEA Lens engine process exited with code 1; .*Cannot find module/ });
    await c.dispose();
  });
});
