// actions.uploadResumable against `agentkit dev`: Google's resumable protocol through the gateway
// into the sandbox's stand-in, which fails a chunk and drops a connection on demand. The file the
// stand-in assembles must hash like the original.
import { after, before, describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { ScalekitClient } from '@scalekit-sdk/node';
import { activate, startGateway } from './gateway.mjs';

const GRANULE = 256 * 1024;
const DATA = Buffer.from(Array.from({ length: GRANULE * 3 + 12345 }, (_, i) => (i * 7) % 251));
const sha256 = (bytes) => createHash('sha256').update(bytes).digest('hex');

describe('uploadResumable', () => {
  let gateway;
  let client;
  let dir;
  const faults = (fail = [], broken = []) => fetch(`${gateway.env.AGENTKIT_SANDBOX_URL}/sandbox/settings`, {
    method: 'POST', headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ upload_fail_chunks: fail, upload_break_chunks: broken }),
  });
  before(async () => {
    gateway = await startGateway();
    const { env } = gateway;
    client = new ScalekitClient(env.SCALEKIT_ENV_URL, env.SCALEKIT_CLIENT_ID, env.SCALEKIT_CLIENT_SECRET);
    await activate(env, client, 'node-uploader');
    dir = mkdtempSync(join(tmpdir(), 'agentkit-upload-'));
  });
  after(async () => { rmSync(dir, { recursive: true, force: true }); await gateway.stop(); });

  it('resumes after a failed and a dropped chunk, from a file', async () => {
    const filePath = join(dir, 'report.pdf');
    writeFileSync(filePath, DATA);
    const seen = [];
    await faults([1], [2]);
    let response;
    try {
      response = await client.actions.uploadResumable({
        connectionName: 'gmail', identifier: 'node-uploader', path: '/upload/drive/v3/files', filePath,
        metadata: { name: 'report.pdf' }, contentType: 'application/pdf', chunkSize: GRANULE,
        onProgress: (sent, total) => { seen.push([sent, total]); },
      });
    } finally {
      await faults();
    }
    assert.equal(response.status, 200);
    assert.equal(response.data.name, 'report.pdf');
    assert.equal(response.data.sha256Checksum, sha256(DATA));
    assert.deepEqual(seen.at(-1), [DATA.length, DATA.length]);
    assert.ok(seen.slice(0, -1).some(([sent]) => sent % GRANULE !== 0), `resumed from half a chunk: ${JSON.stringify(seen)}`);
  });

  it('takes bytes, and stops when the progress callback throws', async () => {
    const response = await client.actions.uploadResumable({
      connectionName: 'gmail', identifier: 'node-uploader', path: '/upload/drive/v3/files', data: new Uint8Array(DATA),
      metadata: { name: 'a.bin' },
    });
    assert.equal(response.data.sha256Checksum, sha256(DATA));
    await assert.rejects(client.actions.uploadResumable({
      connectionName: 'gmail', identifier: 'node-uploader', path: '/upload/drive/v3/files', data: DATA, chunkSize: GRANULE,
      onProgress: () => { throw new Error('the user cancelled'); },
    }), /the user cancelled/);
    await assert.rejects(client.actions.uploadResumable({
      connectionName: 'gmail', identifier: 'node-uploader', path: '/upload/drive/v3/files', data: DATA, chunkSize: 1000,
    }), (err) => err.name === 'ScalekitBadRequestException' && /chunk_size/.test(err.message));
  });
});
