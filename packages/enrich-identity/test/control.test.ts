// The whole way round: syslog lines over UDP, the PAN-OS parser, the identity map, a file sink, and
// the `beer` command asking the map over the real control socket.
import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { existsSync } from 'node:fs'
import { mkdtemp, readFile, rm } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import { syslog, type SyslogServer } from '@beer/syslog-server'
import { paloalto } from '@beer/parser-paloalto'
import { file } from '@beer/sink-file'
import { sendUdp } from '../../syslog-server/test/fixtures/clients.ts'
import { identity } from '../src/identity.ts'

const beer = fileURLToPath(new URL('../../cli/dist/beer.js', import.meta.url))
const fixtures = fileURLToPath(new URL('../../parser-paloalto/fixtures/', import.meta.url))

let dir: string
let server: SyslogServer
let out: string

const quiet = () => ({ info() {}, warn() {}, error() {} })

before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'beer-idctl-'))
  out = path.join(dir, 'events.ndjson')
  server = await syslog({ listen: ['udp://127.0.0.1:0'], control: path.join(dir, 'beer.sock'), handleSignals: false, logger: quiet })
    .parse(paloalto())
    .enrich(identity({ snapshot: false }))
    .to(file({ path: out, flushInterval: 20 }))
    .start()
})
after(async () => {
  await server?.stop()
  await rm(dir, { recursive: true, force: true })
})

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [beer, '--socket', server.endpoints.control!, ...args], (err, stdout, stderr) =>
      resolve({ code: err ? Number((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    )
  })
}

async function lines(): Promise<Record<string, unknown>[]> {
  if (!existsSync(out)) return []
  return (await readFile(out, 'utf8')).split('\n').filter(Boolean).map((l) => JSON.parse(l))
}

async function until<T>(what: string, get: () => Promise<T>, ok: (v: T) => boolean): Promise<T> {
  const deadline = Date.now() + 10_000
  for (;;) {
    const v = await get()
    if (ok(v)) return v
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}: ${JSON.stringify(v)}`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

describe('beer identity lookup, through the control socket', { skip: !existsSync(beer) && 'build the cli first (npm run build)' }, () => {
  it('learns from PAN-OS GlobalProtect and User-ID lines, enriches later traffic, and answers lookups', async () => {
    const gp = (await readFile(path.join(fixtures, 'globalprotect.log'), 'utf8')).split('\n')
    const userid = (await readFile(path.join(fixtures, 'userid.log'), 'utf8')).split('\n')
    const connected = gp.find((l) => l.includes('gateway-connected') && l.includes('198.51.100.130'))!
    const bob = userid.find((l) => l.includes('EXAMPLE\\bob'))!
    const trafficLine = (await readFile(path.join(fixtures, 'traffic.log'), 'utf8'))
      .split('\n')[0]!
      .replace(',192.0.2.10,', ',198.51.100.130,')
      .replace('EXAMPLE\\alice', '')
    await sendUdp(server.addresses[0]!, [connected, bob])
    await until('two events stored', lines, (l) => l.length === 2)
    await sendUdp(server.addresses[0]!, [trafficLine])
    const stored = await until('the traffic event stored', lines, (l) => l.length === 3)
    const traffic = stored[2] as { source: Record<string, unknown>; related: { user: string[]; hosts: string[] }; beer: { identity: unknown } }
    assert.deepEqual(traffic.source.user, { name: 'alice', domain: 'EXAMPLE' })
    assert.equal(traffic.source.domain, 'LAPTOP-ALICE')
    assert.ok(traffic.related.user.includes('alice') && traffic.related.hosts.includes('LAPTOP-ALICE'))
    assert.deepEqual(traffic.beer.identity, {
      source: { user: { kind: 'vpn', since: '2026-11-27T08:00:09.120Z' }, host: { kind: 'vpn', since: '2026-11-27T08:00:09.120Z' } },
    })

    const vpn = await run(['identity', 'lookup', '198.51.100.130', '--at', '2026-11-27T09:00:00Z'])
    assert.equal(vpn.code, 0, vpn.stderr)
    assert.match(vpn.stdout, /^identity:\n/)
    const answer = JSON.parse(vpn.stdout.slice('identity:\n'.length))
    assert.deepEqual([answer.user, answer.domain, answer.host, answer.sources.user.kind], ['alice', 'EXAMPLE', 'LAPTOP-ALICE', 'vpn'])

    const during = JSON.parse((await run(['identity', 'lookup', '192.0.2.151', '--at', '2026-11-27T08:30:00Z'])).stdout.slice('identity:\n'.length))
    assert.equal(during.user, 'bob')
    // User-ID's timeout (2700 s) has run out by 09:00.
    const later = JSON.parse((await run(['identity', 'lookup', '192.0.2.151', '--at', '2026-11-27T09:00:00Z'])).stdout.slice('identity:\n'.length))
    assert.equal(later.user, undefined)
    assert.equal(later.bindings.length, 1)

    const status = await run(['identity', 'status', '--json'])
    const s = JSON.parse(status.stdout).answers[0].answer
    assert.deepEqual([s.store, s.addresses, s.learned], ['memory', 2, { 'globalprotect-connected': 1, 'userid-login': 1 }])

    const bad = await run(['identity', 'lookup', 'not-an-address'])
    assert.equal(bad.code, 1)
    assert.match(bad.stderr, /BEER_ERR_IDENTITY_LOOKUP/)
  })
})

describe('in a worker thread', () => {
  it('learns, enriches and answers lookup the same as inline', async () => {
    const wdir = await mkdtemp(path.join(tmpdir(), 'beer-idwrk-'))
    const wout = path.join(wdir, 'events.ndjson')
    const worker = await syslog({ listen: ['udp://127.0.0.1:0'], handleSignals: false, logger: quiet, preload: [new URL('./fixtures/register-tsx.mjs', import.meta.url).href] })
      .parse(paloalto())
      .enrich(identity({ snapshot: false }), { run: 'worker' })
      .to(file({ path: wout, flushInterval: 20 }))
      .start()
    try {
      const gp = (await readFile(path.join(fixtures, 'globalprotect.log'), 'utf8')).split('\n')
      await sendUdp(worker.addresses[0]!, [gp.find((l) => l.includes('gateway-connected') && l.includes('198.51.100.130'))!])
      const answer = await until(
        'the worker learned the binding',
        async () => (await worker.command('lookup', { ip: '198.51.100.130', at: '2026-11-27T09:00:00Z' }, 'identity'))[0],
        (a) => (a?.answer as { user?: string } | undefined)?.user === 'alice',
      )
      assert.match(answer!.module, /^identity/)
      const row = worker.status().modules.find((m) => m.name.startsWith('identity'))
      assert.deepEqual([row?.placement, row?.state], ['worker', 'running'])
    } finally {
      await worker.stop()
      await rm(wdir, { recursive: true, force: true })
    }
  })
})
