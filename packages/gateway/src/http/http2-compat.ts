/**
 * Where an HTTP/2 exchange differs from an HTTP/1.1 one on the request path. HTTP/2 requests
 * reach the same listener through Node's compatibility API (`Http2ServerRequest`,
 * `Http2ServerResponse`), which has every member the request path reads except these:
 * the response has no `destroyed` (its stream does), a body may come without Content-Length or
 * chunked encoding, and the socket is shared by every stream of the connection, so nothing may
 * close it to end one request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { constants, type Http2ServerRequest, type Http2ServerResponse } from 'node:http2';

/** True for a request that arrived over HTTP/2 (TLS with ALPN h2, or h2c). */
export function isHttp2(req: IncomingMessage): boolean {
  return req.httpVersionMajor === 2;
}

/** True once the client can no longer receive an answer: the connection (HTTP/1.1) or the stream (HTTP/2) is gone. */
export function isResponseGone(res: ServerResponse): boolean {
  return res.destroyed === true || ((res as unknown as Partial<Http2ServerResponse>).stream?.destroyed ?? false);
}

/**
 * Whether a request without Content-Length may still carry a body. HTTP/1.1: only when chunked.
 * HTTP/2 frames the body itself (DATA frames); there is none exactly when the HEADERS frame
 * ended the stream.
 */
export function mayHaveUnsizedBody(req: IncomingMessage): boolean {
  if (isHttp2(req)) return !(req as unknown as Http2ServerRequest).stream.endAfterHeaders;
  return req.headers['transfer-encoding'] !== undefined;
}

/**
 * After an early answer (413, already ended) to a request whose body is still arriving on an HTTP/2 stream:
 * the rest is read and dropped, and once the answer is sent the stream is reset with NO_ERROR,
 * which tells the client to stop sending without an error (RFC 9113 §8.1). The connection and its
 * other streams stay up.
 */
export function endStreamAfterAnswer(req: IncomingMessage, res: ServerResponse): void {
  req.resume();
  const stream = (res as unknown as Http2ServerResponse).stream;
  // With NO_ERROR on a stream whose answer is ending, Node sends the RST_STREAM once the answer
  // has been written. (The response's own 'finish' comes only when the stream closes.)
  if (!stream.closed) stream.close(constants.NGHTTP2_NO_ERROR);
}
