/**
 * @switchyard/transport-tcp — the TCP and TLS router transports (packages/transport-tcp/README.md). Listed by name.
 */
export { createTcpGatewayTransport, createTcpInstanceTransport, routerTransportPlugin } from './create.js';
export { TcpGatewayTransport, type TcpGatewayMetrics } from './gateway-transport.js';
export { TcpInstanceTransport, type TcpInstanceMetrics } from './instance-transport.js';
export {
  TCP_DEFAULTS,
  TLS_DEFAULTS,
  resolveTcpOptions,
  type TcpTransportOptionsInput,
  type TlsTransportOptionsInput,
  type TcpLikeOptionsInput,
  type TcpTransportOptions,
  type TlsSettings,
  type PemSource,
  type TransportSide,
} from './options.js';
export { TCP_ERROR_CODES, InvalidTcpOptionsError, FrameTooLargeError } from './errors.js';
export { FrameDecoder, encodeLengthPrefixed, LENGTH_PREFIX_BYTES } from './framing.js';
