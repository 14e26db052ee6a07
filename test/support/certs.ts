/**
 * Certificates made with the real `openssl` for the TLS suites and the bench: a CA, and leaf
 * certificates it signs (server ones for 127.0.0.1/localhost, client ones for mutual TLS).
 */
import { spawnSync } from 'node:child_process';
import { randomBytes, X509Certificate } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export const hasOpenssl = (() => {
  const r = spawnSync('openssl', ['version'], { encoding: 'utf8' });
  return r.status === 0;
})();

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' });
  if (r.error) throw new Error(`openssl could not run: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`openssl ${args.join(' ')} failed: ${r.stderr}`);
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

export interface KeyPair {
  /** Paths of the PEM files. */
  readonly cert: string;
  readonly key: string;
}

export interface Ca extends KeyPair {
  /** Signs a new leaf certificate; each call makes a fresh key and serial number. */
  issue(name: string, usage: 'server' | 'client', sans?: string[]): KeyPair;
}

/** A self-signed CA in dir (files named after `name`). */
export function makeCa(dir: string, name: string): Ca {
  const ca: KeyPair = { cert: path.join(dir, `${name}.crt`), key: path.join(dir, `${name}.key`) };
  openssl(['req', '-x509', ...EC, '-keyout', ca.key, '-out', ca.cert, '-days', '2', '-subj', `/CN=${name}`], dir);
  let n = 0;
  return {
    ...ca,
    issue(leaf, usage, sans = ['IP:127.0.0.1', 'DNS:localhost']) {
      const base = path.join(dir, `${leaf}-${++n}`);
      const out: KeyPair = { cert: `${base}.crt`, key: `${base}.key` };
      openssl(['req', '-new', ...EC, '-keyout', out.key, '-out', `${base}.csr`, '-subj', `/CN=${leaf}`], dir);
      writeFileSync(
        `${base}.ext`,
        [`subjectAltName=${sans.join(',')}`, 'basicConstraints=CA:FALSE', 'keyUsage=critical,digitalSignature', `extendedKeyUsage=${usage === 'server' ? 'serverAuth' : 'clientAuth'}`].join('\n') + '\n',
      );
      const serial = `0x${randomBytes(8).toString('hex')}`;
      openssl(['x509', '-req', '-in', `${base}.csr`, '-CA', ca.cert, '-CAkey', ca.key, '-set_serial', serial, '-days', '2', '-out', out.cert, '-extfile', `${base}.ext`], dir);
      return out;
    },
  };
}

/** The serial number (hex, upper case) of a PEM certificate file. */
export const serialOf = (certFile: string): string => new X509Certificate(readFileSync(certFile)).serialNumber;
