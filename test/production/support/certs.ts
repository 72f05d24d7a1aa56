// A throwaway PKI for the production suite (openssl): one CA signs the server certificate
// (serverAuth + clientAuth, SAN localhost/127.0.0.1) and a client certificate; a second,
// unrelated CA signs a client certificate the server must refuse.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { execa } from 'execa';

export interface TestPki {
  caFile: string;
  serverCert: string;
  serverKey: string;
  clientCert: string;
  clientKey: string;
  /** Signed by a CA the server does not trust. */
  strangerCert: string;
  strangerKey: string;
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function ca(dir: string, name: string): Promise<{ pem: string; key: string }> {
  const pem = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  await execa('openssl', ['req', '-x509', ...EC, '-keyout', key, '-out', pem, '-days', '2', '-subj', `/CN=${name}`,
    '-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  return { pem, key };
}

async function leaf(dir: string, name: string, signer: { pem: string; key: string }, ext: string): Promise<{ pem: string; key: string }> {
  const pem = join(dir, `${name}.pem`);
  const key = join(dir, `${name}.key`);
  const csr = join(dir, `${name}.csr`);
  const extFile = join(dir, `${name}.ext`);
  writeFileSync(extFile, ext);
  await execa('openssl', ['req', ...EC, '-keyout', key, '-out', csr, '-subj', `/CN=${name}`]);
  await execa('openssl', ['x509', '-req', '-in', csr, '-CA', signer.pem, '-CAkey', signer.key, '-CAcreateserial', '-out', pem, '-days', '2', '-extfile', extFile]);
  return { pem, key };
}

export async function createTestPki(dir: string): Promise<TestPki> {
  const root = await ca(dir, 'lanes-test-ca');
  const other = await ca(dir, 'stranger-ca');
  const server = await leaf(dir, 'server', root, 'basicConstraints=CA:FALSE\nsubjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth,clientAuth\n');
  const client = await leaf(dir, 'worker-client', root, 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
  const stranger = await leaf(dir, 'stranger-client', other, 'basicConstraints=CA:FALSE\nextendedKeyUsage=clientAuth\n');
  return { caFile: root.pem, serverCert: server.pem, serverKey: server.key, clientCert: client.pem, clientKey: client.key, strangerCert: stranger.pem, strangerKey: stranger.key };
}
