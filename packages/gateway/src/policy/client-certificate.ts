/**
 * mTLS at the edge: with `http.tls.ca` set, a client may present a certificate, and one the CA
 * verified is a principal. A request without a Bearer token then gets the identity of its
 * certificate instead of the anonymous one: `subject` is the certificate's subject DN
 * ("CN=billing-batch,O=Acme"), and the claims `x509_subject`, `x509_cn`, `x509_issuer` and
 * `x509_fingerprint256` are there for endpoints' `requiringClaims`. A valid Bearer token still
 * wins; identity headers are written only from this verified identity (reserved headers a client
 * sent are stripped first, as for every request). An unverified certificate grants nothing.
 */
import type { IncomingMessage } from 'node:http';
import type { Http2ServerRequest } from 'node:http2';
import type { PeerCertificate, TLSSocket } from 'node:tls';
import type { Identity } from '@switchyard/core';
import { isHttp2 } from '../http/http2-compat.js';

/** The identity of a connection's verified client certificate, cached per connection (one lookup per TLS session, not per request). */
export class ClientCertificates {
  private readonly byConnection = new WeakMap<object, Identity | null>();

  /** The certificate's identity, or undefined when the connection has no verified client certificate. */
  identityOf(req: IncomingMessage): Identity | undefined {
    // An HTTP/2 request's `socket` is a per-stream proxy; the session is the connection.
    const key: object = isHttp2(req) ? (req as unknown as Http2ServerRequest).stream.session ?? req.socket : req.socket;
    let identity = this.byConnection.get(key);
    if (identity === undefined) {
      identity = certificateIdentity(req.socket as TLSSocket);
      this.byConnection.set(key, identity);
    }
    return identity ?? undefined;
  }
}

function certificateIdentity(socket: TLSSocket): Identity | null {
  if (socket.authorized !== true || typeof socket.getPeerCertificate !== 'function') return null;
  const cert: PeerCertificate = socket.getPeerCertificate();
  if (cert === null || cert.subject === undefined) return null;
  const subject = distinguishedName(cert.subject);
  const cn = cert.subject.CN;
  return Object.freeze({
    anonymous: false,
    subject,
    claims: Object.freeze({
      x509_subject: subject,
      ...(cn === undefined ? {} : { x509_cn: Array.isArray(cn) ? cn.join(', ') : cn }),
      x509_issuer: distinguishedName(cert.issuer),
      x509_fingerprint256: cert.fingerprint256,
    }),
  });
}

/** RFC 4514 order (most specific first) of the attributes Node parsed, e.g. "CN=svc,O=Acme,C=DE". */
function distinguishedName(fields: Readonly<Record<string, string | string[] | undefined>>): string {
  return Object.entries(fields)
    .reverse()
    .flatMap(([k, v]) => (v === undefined ? [] : (Array.isArray(v) ? v : [v]).map((x) => `${k}=${x.replace(/[,+"\\<>;=]/g, (c) => `\\${c}`)}`)))
    .join(',');
}
