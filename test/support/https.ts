/** A node:https client for the TLS suites: one fresh connection per request, so every call is a full handshake. */
import { readFileSync } from 'node:fs';
import https from 'node:https';
import type { SecureVersion } from 'node:tls';
import type { KeyPair } from './certs.js';
import type { RawResponse } from './server.js';

export interface TlsRequestOptions {
  /** CA file to trust; without it the system store is used (which does not know the test CA). */
  ca?: string;
  /** A client certificate for mutual TLS. */
  client?: KeyPair;
  headers?: Record<string, string>;
  maxVersion?: SecureVersion;
  method?: string;
  /** A keep-alive agent, to send several requests on one connection (default: a fresh connection each). */
  agent?: https.Agent;
}

export interface TlsResponse extends RawResponse {
  /** Serial number of the certificate the server presented (hex, upper case). */
  serial: string;
  protocol: string | null;
  /** The negotiated cipher suite (OpenSSL's name). */
  cipher: string;
}

export const basic = (user: string, password: string) => ({ authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` });

export function tlsRequest(url: string, options: TlsRequestOptions = {}): Promise<TlsResponse> {
  const u = new URL(url);
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: u.hostname,
        port: u.port,
        path: `${u.pathname}${u.search}`,
        method: options.method ?? 'GET',
        headers: options.headers,
        ca: options.ca ? readFileSync(options.ca) : undefined,
        cert: options.client ? readFileSync(options.client.cert) : undefined,
        key: options.client ? readFileSync(options.client.key) : undefined,
        maxVersion: options.maxVersion,
        agent: options.agent ?? false,
      },
      (res) => {
        const socket = res.socket as import('node:tls').TLSSocket;
        const serial = socket.getPeerCertificate().serialNumber;
        const protocol = socket.getProtocol();
        const cipher = socket.getCipher().name;
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8'), serial, protocol, cipher }));
        res.on('error', reject);
      },
    );
    req.setTimeout(10_000, () => req.destroy(new Error('timeout')));
    req.on('error', reject);
    req.end();
  });
}
