/**
 * The HTTPS server for a web config's tls_server_config: client-certificate policies Node has no
 * switch for (Go's RequireAnyClientCert, VerifyClientCertIfGiven, allowed SANs) are enforced once
 * the handshake is done, and the certificate, key and client CA are re-read when they change.
 */
import https from 'node:https';
import type { RequestListener, ServerOptions } from 'node:http';
import type { TLSSocket } from 'node:tls';
import type { Logger } from 'pino';
import { onFilesChanged } from './file-poll.js';
import { readPem, secureContextOptions, type PemMaterial, type PemSource, type TlsSettings } from './web-config.js';

export const CERT_POLL_MS = 1000;

export interface TlsServer {
  readonly server: https.Server;
  /** Stops watching the certificate files. */
  close(): void;
}

function pemMaterial(t: TlsSettings): PemMaterial {
  return { cert: readPem(t.cert), key: readPem(t.key), clientCa: t.clientCa && readPem(t.clientCa) };
}

/** The SAN entries of a peer certificate ("DNS:a, IP Address:1.2.3.4, URI:...") without their type. */
function sans(socket: TLSSocket): string[] {
  const alt = socket.getPeerCertificate().subjectaltname ?? '';
  return alt
    .split(', ')
    .map((e) => e.slice(e.indexOf(':') + 1))
    .filter(Boolean);
}

/** Why a completed handshake must still be refused under the client-auth policy, or undefined. */
function refusal(t: TlsSettings, socket: TLSSocket): string | undefined {
  const presented = Object.keys(socket.getPeerCertificate()).length > 0;
  if ((t.clientAuth === 'RequireAnyClientCert' || t.clientAuth === 'RequireAndVerifyClientCert') && !presented) return 'no client certificate';
  if (t.clientAuth === 'VerifyClientCertIfGiven' && presented && !socket.authorized) return `client certificate not trusted: ${String(socket.authorizationError)}`;
  if (t.clientAllowedSans?.length && !sans(socket).some((s) => t.clientAllowedSans!.includes(s))) return 'client certificate SAN not allowed';
  return undefined;
}

export function createTlsServer(t: TlsSettings, options: ServerOptions, handler: RequestListener, logger: Logger): TlsServer {
  const requestCert = t.clientAuth !== 'NoClientCert';
  const server = https.createServer(
    {
      ...options,
      ...secureContextOptions(t, pemMaterial(t)),
      requestCert,
      // Only RequireAndVerifyClientCert can be left to OpenSSL; the others verify (or not) after the handshake.
      rejectUnauthorized: t.clientAuth === 'RequireAndVerifyClientCert',
      handshakeTimeout: 10_000,
    },
    handler,
  );
  if (requestCert || t.clientAllowedSans?.length) {
    server.on('secureConnection', (socket: TLSSocket) => {
      const why = refusal(t, socket);
      if (why) {
        logger.debug({ remote: socket.remoteAddress, reason: why }, 'TLS client refused');
        socket.destroy();
      }
    });
  }
  server.on('tlsClientError', (err, socket) => logger.debug({ remote: socket.remoteAddress, err: err.message }, 'TLS handshake failed'));

  // Rotation: on a change of the files re-read them all and swap the context. A pair caught
  // half-written (new cert, old key) fails createSecureContext, keeps the old context, and is
  // retried when the files change again.
  const files = [t.cert, t.key, t.clientCa].filter((s): s is PemSource & { file: string } => s?.file !== undefined).map((s) => s.file);
  const stop = onFilesChanged(files, CERT_POLL_MS, () => {
    try {
      server.setSecureContext(secureContextOptions(t, pemMaterial(t)));
      logger.info({ files }, 'TLS certificate files changed: reloaded');
    } catch (err) {
      logger.warn({ files, err: (err as Error).message }, 'TLS certificate files changed but cannot be used: still serving the previous certificate');
    }
  });
  return { server, close: stop };
}
