// The TLS example as a user runs it: a real child process that makes its own self-signed
// certificate on first start, a real TLS client that trusts that certificate, the NDJSON file it
// writes, and a clean SIGTERM.
import { test, after } from 'node:test'
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import type { ChildProcess } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { freePort, sendTls, until } from '../../../packages/syslog-server/test/fixtures/clients.ts'

const main = fileURLToPath(new URL('../dist/main.js', import.meta.url))
const children = new Set<ChildProcess>()
const dirs: string[] = []
after(() => {
  for (const child of children) child.kill('SIGKILL')
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true })
})

test('the TLS example makes a self-signed certificate, receives over TLS and stops cleanly on SIGTERM', { timeout: 60_000 }, async () => {
  assert.ok(existsSync(main), `${main} is built (npm run build)`)
  const dir = mkdtempSync(join(tmpdir(), 'beer-tls-example-'))
  dirs.push(dir)
  const port = await freePort('tcp')
  const out = join(dir, 'events.ndjson')
  const child = spawn(process.execPath, [main], {
    cwd: dir,
    env: { ...process.env, BEER_LISTEN: `tls://127.0.0.1:${port}`, BEER_OUT: out },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  children.add(child)
  let output = ''
  child.stdout!.on('data', (d) => (output += d))
  child.stderr!.on('data', (d) => (output += d))
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)))
  await until('listening', 30_000, () => (output.includes('listening') ? true : undefined), () => output)

  const cert = readFileSync(join(dir, 'data/tls/server.crt'), 'utf8')
  await sendTls({ port, host: '127.0.0.1', ca: cert, servername: 'localhost' }, [
    '<34>1 2026-11-27T10:00:00.000Z gw.example.net sshd 4242 - - over tls\n',
  ])
  const line = await until(
    'the event in the file',
    15_000,
    () => (existsSync(out) ? readFileSync(out, 'utf8').split('\n').find((l) => l.includes('over tls')) : undefined),
    () => output,
  )
  const event = JSON.parse(line)
  assert.equal(event.message, 'over tls')
  assert.equal(event.log.syslog.hostname, 'gw.example.net')

  child.kill('SIGTERM')
  assert.equal(await exited, 0, output)
  children.delete(child)
})
