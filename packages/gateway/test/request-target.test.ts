import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { readRequestTarget, type RequestTarget } from '../src/http/request-target.js';

const read = (url: string): RequestTarget => readRequestTarget(url, { maxRequestTargetBytes: 64 });
const pathOf = (url: string): string => {
  const t = read(url);
  assert.is(t.kind, 'ok', `${url} should be accepted, got ${JSON.stringify(t)}`);
  return (t as { path: string }).path;
};

const target = suite('request target');

target('a plain path and query pass through unchanged', () => {
  assert.equal(read('/echo/a.txt?x=1&y=%2F'), { kind: 'ok', path: '/echo/a.txt', query: 'x=1&y=%2F' });
  assert.equal(read('/'), { kind: 'ok', path: '/', query: '' });
});

target('a target over the limit is too long, whether the length is in the path or the query', () => {
  assert.equal(read(`/${'a'.repeat(64)}`), { kind: 'too-long', length: 65 });
  assert.is(read(`/a?${'q'.repeat(62)}`).kind, 'too-long');
  assert.is(read(`/${'a'.repeat(63)}`).kind, 'ok');
});

target('dot segments, encoded dots and duplicate slashes are normalised', () => {
  assert.is(pathOf('/echo/../vault/secret'), '/vault/secret');
  assert.is(pathOf('/echo/%2e%2E/vault'), '/vault');
  assert.is(pathOf('/echo/./x/.'), '/echo/x/');
  assert.is(pathOf('//echo///x//'), '/echo/x/');
  assert.is(pathOf('/a/b/..'), '/a/');
  assert.is(pathOf('/a/..'), '/');
  assert.is(pathOf('/a/%2e%2ex'), '/a/%2e%2ex');
  assert.is(pathOf('/a.b/c..d/.hidden/...'), '/a.b/c..d/.hidden/...');
});

target('absolute-form targets are reduced to their path and query', () => {
  assert.equal(read('http://other.example:81/echo/x?y=1'), { kind: 'ok', path: '/echo/x', query: 'y=1' });
  assert.equal(read('HTTPS://other.example'), { kind: 'ok', path: '/', query: '' });
  assert.equal(read('http://other.example?q'), { kind: 'ok', path: '/', query: 'q' });
});

target('ambiguous or malformed targets are refused with a reason', () => {
  for (const url of ['*', 'other.example:443', 'ftp://x/y', 'echo/x', '/a%2fb', '/a%5Cb', '/a\\b', '/a%00', '/a%zz', '/a%2', '/../x', '/a/../../x', '/a#frag', '/a?b#c']) {
    const t = read(url);
    assert.is(t.kind, 'malformed', `${url} should be malformed, got ${JSON.stringify(t)}`);
    assert.ok((t as { reason: string }).reason.length > 0);
  }
});

target.run();
