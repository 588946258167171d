// The engine client when the engine does not answer: a request past its timeout is rejected with the
// method and the limit, the stuck process is killed (it could not be interrupted) and the next request
// gets a fresh one; requests queued behind the stuck one are rejected, not left hanging. Also: a request
// without its required parameters gets a BadInput message from the real engine process.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { EngineClient, EngineRequestError } from '../../src/engineClient/engineClient';
import { EngineErrorCode, type ExplainParams } from '../../src/shared/engineProtocol';

const ROOT = path.resolve(__dirname, '..', '..');
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('engine client: timeout kills and restarts a stuck engine', () => {
  const client = new EngineClient({ enginePath: path.join(ROOT, 'test', 'fixtures', 'stuckEngine.ts'), execArgv: ['--import', 'tsx'] });
  after(() => client.dispose());

  it('EXPECTED FAILURE - explain past its timeout: Timeout error, process killed, queued request rejected, next request on a new process', async () => {
    await client.request('engine/packInfo', { pack: 'p' });
    const pid = client.pid!;
    const starts = client.starts;
    const stuck = client.request('engine/explain', { image: 'a.png', pack: 'p' }, { timeoutMs: 800 });
    const queued = client.request('engine/packInfo', { pack: 'p' }, { timeoutMs: 60_000 });
    const t0 = Date.now();
    await assert.rejects(stuck, (e: EngineRequestError) => {
      assert.equal(e.code, 'Timeout');
      assert.match(e.message, /engine\/explain timed out after 800 ms; the engine process was stopped and will be restarted on the next request/);
      return true;
    });
    await assert.rejects(queued, (e: EngineRequestError) => {
      assert.equal(e.code, 'ProcessExited');
      assert.match(e.message, /was stopped because engine\/explain ran past its 800 ms timeout/);
      return true;
    });
    assert.ok(Date.now() - t0 < 5000, 'the queued request is rejected at once, not after its own timeout');
    for (let i = 0; i < 50 && alive(pid); i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(alive(pid), false, 'the stuck process was killed');
    const info = await client.request('engine/packInfo', { pack: 'p' }) as unknown as { pid: number };
    assert.notEqual(info.pid, pid);
    assert.equal(client.starts, starts + 1);
  });
});

describe('engine process: required parameters', () => {
  const client = new EngineClient({ enginePath: path.join(ROOT, 'src', 'engine', 'engineProcess.ts'), execArgv: ['--import', 'tsx'] });
  after(() => client.dispose());

  it('BAD CALL - explain without an image → BadInput that says what is missing (not "Internal error")', async () => {
    await assert.rejects(client.request('engine/explain', { pack: '/no/such/pack' } as ExplainParams), (e: EngineRequestError) => {
      assert.equal(e.code, EngineErrorCode.BadInput);
      assert.equal(e.message, 'explain: "image" is required (the path of an image file), got nothing');
      return true;
    });
    await assert.rejects(client.request('engine/metrics', { pack: '/p', folder: '' }), { message: /metrics: "folder" is required \(the path of a folder of images\), got ""/ });
  });
});
