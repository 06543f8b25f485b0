/**
 * The direct server of bench:http, the baseline every row is compared with: one Node HTTP server
 * answering the same echo body as the echo service and the reference workers (echo-body.mjs).
 *
 *   node direct-echo.mjs
 */
import { createServer } from 'node:http';
import { echoBody } from './echo-body.mjs';

const server = createServer((req, res) => {
  const chunks = [];
  req.on('data', (c) => chunks.push(c));
  req.on('end', () => {
    const body = echoBody(req.method, req.url, req.headers, Buffer.concat(chunks).toString('utf8'), 'direct');
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
});
server.listen(0, '127.0.0.1', () => console.log(`direct listening on http://127.0.0.1:${server.address().port}`));
