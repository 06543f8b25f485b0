/**
 * Answers what Node's HTTP parser refuses before the request path sees it (headers over
 * `http.maxHeaderBytes`, headers or request too slow, a malformed request line or header) with
 * the gateway's JSON error body, then closes the connection. The parser's error carries the raw
 * bytes it read (`rawPacket`), Authorization header included, so nothing of it is logged.
 */
import type { Duplex } from 'node:stream';
import { errorBody, GATEWAY_HTTP_ERRORS, type GatewayHttpErrorCode } from '../errors.js';
import { newRequestId } from './request-id.js';

const REASONS: Readonly<Record<number, string>> = Object.freeze({
  400: 'Bad Request',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  431: 'Request Header Fields Too Large',
});

/** The gateway error code for a parser error code (`HPE_*`, `ERR_HTTP_REQUEST_TIMEOUT`). */
export function clientErrorCode(code: string | undefined): GatewayHttpErrorCode {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return 'SY_GATEWAY_HEADERS_TOO_LARGE';
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return 'SY_GATEWAY_REQUEST_TIMEOUT';
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return 'SY_GATEWAY_PAYLOAD_TOO_LARGE';
    default:
      return 'SY_GATEWAY_BAD_REQUEST';
  }
}

/** The `http.Server` 'clientError' listener. */
export function answerClientError(err: Error & { code?: string }, socket: Duplex): void {
  // A response already on its way cannot be followed by another one; just cut.
  const current = (socket as Duplex & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (err.code === 'ECONNRESET' || !socket.writable || current?.headersSent === true) {
    socket.destroy();
    return;
  }
  const code = clientErrorCode(err.code);
  const status = GATEWAY_HTTP_ERRORS[code].status;
  const body = errorBody(code, newRequestId());
  socket.end(
    `HTTP/1.1 ${status} ${REASONS[status] ?? 'Bad Request'}\r\n` +
      'Content-Type: application/json; charset=utf-8\r\n' +
      `Content-Length: ${Buffer.byteLength(body)}\r\n` +
      'Connection: close\r\n\r\n' +
      body,
  );
}
