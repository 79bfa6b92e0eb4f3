import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { generate } from 'selfsigned'
import type { TlsOptions } from '@beer/syslog-server'

/**
 * The TLS options for the example: the files named by BEER_TLS_CERT / BEER_TLS_KEY / BEER_TLS_CA
 * when set, otherwise a self-signed certificate for localhost kept in `dir` (made once, reused).
 */
export async function certificates(dir: string): Promise<TlsOptions> {
  const { BEER_TLS_CERT: cert, BEER_TLS_KEY: key, BEER_TLS_CA: ca } = process.env
  if (cert && key) return ca ? { cert, key, ca, clientCertificate: 'require' } : { cert, key }
  const certFile = join(dir, 'server.crt')
  const keyFile = join(dir, 'server.key')
  if (!existsSync(certFile) || !existsSync(keyFile)) {
    mkdirSync(dir, { recursive: true })
    const pems = await generate([{ name: 'commonName', value: 'localhost' }], {
      keySize: 2048,
      algorithm: 'sha256',
      extensions: [{ name: 'subjectAltName', altNames: [{ type: 2, value: 'localhost' }, { type: 7, ip: '127.0.0.1' }] }],
    })
    writeFileSync(keyFile, pems.private, { mode: 0o600 })
    writeFileSync(certFile, pems.cert)
    console.log(`made a self-signed certificate: ${certFile} (senders must trust it, or skip verification for a test)`)
  }
  return { cert: readFileSync(certFile, 'utf8'), key: readFileSync(keyFile, 'utf8') }
}
