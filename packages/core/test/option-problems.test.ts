import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { InvalidArgumentError } from '../src/index.js';
import { checkTransportEntries, formatValue, OptionProblems } from '../src/internal.js';

const problems = suite('OptionProblems (the one options checker)');

problems('every problem is kept, each with its full key path and the value received', () => {
  const p = new OptionProblems('transports[0].queues');
  p.integer('leaseMs', 10, 100);
  p.nonEmptyString('deadLetterSuffix', '');
  p.object('retention', [1]);
  assert.equal(p.messages(), [
    'transports[0].queues.leaseMs must be an integer ≥ 100 (got 10)',
    'transports[0].queues.deadLetterSuffix must be a non-empty string (got "")',
    'transports[0].queues.retention must be an object (got an array)',
  ]);
});

problems('an unknown key names a renamed key\'s replacement, else a likely typo\'s nearest key, else the known keys', () => {
  const p = new OptionProblems();
  p.unknownKeys({ host: 1, prot: 2, zzz: 3, port: 4 }, ['url', 'port'], 'valkey', { noun: 'an option', renamed: { host: 'url' } });
  assert.equal(p.messages(), [
    'valkey.host is not an option; use url',
    'valkey.prot is not an option (did you mean "port"?)',
    'valkey.zzz is not an option (known: url, port)',
  ]);
});

problems('a secret value is never shown', () => {
  const p = new OptionProblems();
  p.nonEmptyString('password', 12345, true);
  assert.equal(p.messages(), ['password must be a non-empty string (got a number)']);
});

problems('one error carries every problem, the first one\'s path leading', () => {
  const p = new OptionProblems();
  p.integer('a', -1, 0);
  p.integer('b', 'x', 0);
  const err = InvalidArgumentError.fromProblems(p.list);
  assert.is(err.argument, 'a');
  assert.is(err.message, 'a must be an integer ≥ 0 (got -1); b must be an integer ≥ 0 (got "x")');
  assert.is(err.problems.length, 2);
});

problems('received values are rendered short and safe', () => {
  assert.is(formatValue(undefined), 'nothing');
  assert.is(formatValue('x'.repeat(100)), JSON.stringify(`${'x'.repeat(60)}…`));
  assert.is(formatValue({ secret: 'k' }), 'an object');
  assert.is(formatValue(new Uint8Array(3)), '3 bytes');
});

problems.run();

const entries = suite('checkTransportEntries');

entries('reports every problem of every entry, core\'s and the backend plugin\'s, without building anything', async () => {
  const found = await checkTransportEntries(
    [
      { type: 'messaging', backend: 'memory', memory: { namespcae: 'x' }, queues: { leaseMs: 10, lease: 1 } },
      { type: 'inmemory', hubb: 'x' },
      { type: 'carrier-pigeon' },
    ],
    'gateway',
  );
  const paths = found.map((p) => p.path);
  assert.equal(paths.sort(), [
    'transports[0].memory.namespcae',
    'transports[0].queues.lease',
    'transports[0].queues.leaseMs',
    'transports[1].hubb',
    'transports[2].type',
  ]);
});

entries.run();
