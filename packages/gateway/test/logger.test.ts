import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { createGatewayLogger, type GatewayLog } from '../src/logger.js';
import { parseGatewayConfig } from '../src/index.js';

const log = suite('gateway logger');

/** A gateway log writing to `lines`, one parsed JSON object per line; `extra` is merged into the config. */
async function capture(extra: Record<string, unknown> = {}): Promise<{ lines: Array<Record<string, unknown>>; log: GatewayLog }> {
  const config = await parseGatewayConfig({ node: { id: 'gw-log', region: 'eu' }, transports: [{ type: 'tcp', host: '127.0.0.1', port: 7001 }], ...extra });
  const lines: Array<Record<string, unknown>> = [];
  return { lines, log: createGatewayLogger(config, { write: (line: string) => void lines.push(JSON.parse(line) as Record<string, unknown>) }) };
}

log('the request logger writes to the same stream, in call order, lines of the same shape', async () => {
  const { lines, log: gw } = await capture();
  gw.logger.info({ step: 1 }, 'before');
  gw.requestLogger.info({ requestId: 'r1', method: 'GET', path: '/a', status: 200 }, 'request');
  gw.logger.info({ step: 2 }, 'after');
  assert.equal(lines.map((l) => l.msg), ['before', 'request', 'after']);
  const [before, request] = lines as [Record<string, unknown>, Record<string, unknown>];
  assert.equal(Object.keys(request).slice(0, 4), Object.keys(before).slice(0, 4));
  assert.is(request.level, 'info');
  assert.is(request.nodeId, 'gw-log');
  assert.is(request.region, 'eu');
  assert.match(String(request.time), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
});

log('the request logger scrubs credential-like query values from a path; the logger redacts secret headers', async () => {
  const { lines, log: gw } = await capture();
  gw.requestLogger.info({ path: '/a?access_token=s1&page=2' }, 'request');
  gw.logger.warn({ headers: { authorization: 'Bearer s2', accept: '*/*' }, req: { headers: { cookie: 's3' } } }, 'failed');
  assert.is(lines[0]?.path, '/a?access_token=[redacted]&page=2');
  assert.equal(lines[1]?.headers, { authorization: '[redacted]', accept: '*/*' });
  assert.equal(lines[1]?.req, { headers: { cookie: '[redacted]' } });
});

log('the request logger keeps the configured level', async () => {
  const { lines, log: gw } = await capture({ log: { level: 'warn' } });
  gw.requestLogger.info({ path: '/a' }, 'request');
  gw.requestLogger.warn({ path: '/b' }, 'request');
  assert.is(lines.length, 1);
  assert.is(lines[0]?.path, '/b');
});

log.run();
