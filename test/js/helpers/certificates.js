// Certificates made for a test run with the openssl command line tool: a CA,
// a server certificate for localhost/127.0.0.1 and a client certificate, both
// signed by the CA. Valid for one day; written to a temporary directory.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export function makeCertificates() {
  const dir = mkdtempSync(join(tmpdir(), 'hyphae-certs-'));
  const path = (name) => join(dir, name);
  const openssl = (...args) => execFileSync('openssl', args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const newKey = (name) => openssl('ecparam', '-name', 'prime256v1', '-genkey', '-noout', '-out', path(name));
  try {
    newKey('ca.key');
    openssl('req', '-x509', '-new', '-key', path('ca.key'), '-subj', '/CN=hyphae test CA', '-days', '1', '-out', path('ca.pem'));
    const issue = (name, subject, extensions) => {
      newKey(`${name}.key`);
      openssl('req', '-new', '-key', path(`${name}.key`), '-subj', subject, '-out', path(`${name}.csr`));
      writeFileSync(path(`${name}.ext`), extensions);
      openssl('x509', '-req', '-in', path(`${name}.csr`), '-CA', path('ca.pem'), '-CAkey', path('ca.key'),
        '-CAcreateserial', '-days', '1', '-extfile', path(`${name}.ext`), '-out', path(`${name}.pem`));
    };
    issue('server', '/CN=localhost', 'subjectAltName=DNS:localhost,IP:127.0.0.1\n');
    issue('client', '/CN=hyphae test client', 'extendedKeyUsage=clientAuth\n');
    // The server key again, encrypted with a passphrase.
    openssl('pkey', '-in', path('server.key'), '-aes256', '-passout', 'pass:s3cret', '-out', path('server.enc.key'));
    const read = (name) => readFileSync(path(name), 'utf8');
    return {
      ca: read('ca.pem'),
      server: { cert: read('server.pem'), key: read('server.key'), encryptedKey: read('server.enc.key') },
      client: { cert: read('client.pem'), key: read('client.key') },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
