import assert from 'node:assert/strict'
import { mkdtemp, readFile, readdir, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'
import type { LogEvent } from '@beer/core'
import { identity } from '../src/identity.ts'
import type { IdentityStatus, LookupAnswer } from '../src/enricher.ts'
import { build, context, dhcpAck, dhcpRelease, loggedIn, traffic, vpnAssigned, vpnEnded } from './fixtures/events.ts'

let dir: string
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'beer-identity-'))
})
after(async () => {
  await rm(dir, { recursive: true, force: true })
})

const MAC = '00-1A-2B-3C-4D-5E'
const OTHER_MAC = '00-1A-2B-3C-4D-99'

function enrichAll(e: { enrich(ev: LogEvent): void }, events: LogEvent[]): LogEvent[] {
  for (const ev of events) e.enrich(ev)
  return events
}

describe('identity()', () => {
  it('returns a cloneable enricher descriptor and refuses bad options by name', () => {
    const d = identity({ snapshot: false, ttl: { dhcp: '2h' }, static: [{ ip: '192.0.2.5', host: 'printer-1' }] })
    assert.equal(d.kind, 'enricher')
    assert.equal(d.name, 'identity')
    assert.deepEqual(structuredClone(d), d)
    const bad: [unknown, RegExp][] = [
      [{ store: 'disk' }, /option store/],
      [{ ttl: { dhcp: 'soon' } }, /option ttl\.dhcp/],
      [{ static: [{ ip: '127.0.0.1', host: 'x' }] }, /option static\[0\]\.ip/],
      [{ static: [{ ip: '192.0.2.1' }] }, /option static\[0\]/],
      [{ rules: [{ name: 'r', actions: ['a'], op: 'bind', kind: 'k', ip: ['client.ip'] }] }, /option rules\[0\]/],
      [{ rules: [{ name: 'r', actions: ['a'], op: 'bind', kind: 'k', ip: ['__proto__.x'], user: ['user.name'] }] }, /option rules\[0\]\.ip/],
      [{ redis: { url: 'redis://x' } }, /option redis/],
      [{ store: 'redis', redis: { url: 'http://x' } }, /option redis\.url/],
      [{ fields: ['source', 'constructor'] }, /option fields/],
    ]
    for (const [options, message] of bad) {
      assert.throws(() => identity(options as never), (err: { code?: string; message?: string }) => {
        assert.equal(err.code, 'BEER_ERR_IDENTITY_OPTIONS')
        assert.match(err.message!, message)
        return true
      })
    }
  })
})

describe('learning and enriching in memory', () => {
  it('fills the user, host name and MAC of the address as they were at the event’s own time', async () => {
    const e = await build({ snapshot: false })
    enrichAll(e, [
      dhcpAck('2026-11-27T08:00:00Z', '192.0.2.50', MAC, 'laptop-7', 3600),
      loggedIn('2026-11-27T08:05:00Z', 'alice', '192.0.2.50', 'fileserver'),
    ])
    const [ev] = enrichAll(e, [traffic('2026-11-27T08:10:00Z', '192.0.2.50', '198.51.100.20')])
    assert.deepEqual(ev!.source, { ip: '192.0.2.50', port: 50000, user: { name: 'alice' }, domain: 'laptop-7', mac: MAC })
    assert.deepEqual(ev!.destination, { ip: '198.51.100.20', port: 443 })
    assert.deepEqual(ev!.related, { user: ['alice'], hosts: ['laptop-7'] })
    assert.deepEqual(ev!.beer, {
      identity: {
        source: {
          user: { kind: 'login', since: '2026-11-27T08:05:00.000Z' },
          host: { kind: 'dhcp', since: '2026-11-27T08:00:00.000Z' },
          mac: { kind: 'dhcp', since: '2026-11-27T08:00:00.000Z' },
        },
      },
    })
    assert.deepEqual(structuredClone(ev), JSON.parse(JSON.stringify(ev)))
    await e.close?.()
  })

  it('never overwrites what the event states, and fills only what is missing', async () => {
    const e = await build({ snapshot: false })
    e.enrich(dhcpAck('2026-11-27T08:00:00Z', '192.0.2.50', MAC, 'laptop-7'))
    e.enrich(loggedIn('2026-11-27T08:01:00Z', 'alice', '192.0.2.50', 'fileserver'))
    const ev = traffic('2026-11-27T08:02:00Z', '192.0.2.50', '198.51.100.1')
    ev.source = { ip: '192.0.2.50', user: { name: 'bob', domain: 'EXAMPLE' }, mac: '00-00-5E-00-53-01' }
    ev.related = { user: ['bob'] }
    e.enrich(ev)
    assert.deepEqual(ev.source, { ip: '192.0.2.50', user: { name: 'bob', domain: 'EXAMPLE' }, mac: '00-00-5E-00-53-01', domain: 'laptop-7' })
    assert.deepEqual(ev.related, { user: ['bob'], hosts: ['laptop-7'] })
    assert.deepEqual(Object.keys((ev.beer as { identity: { source: object } }).identity.source), ['host'])
  })

  it('gives late and out-of-order events the binding that held when they happened', async () => {
    const e = await build({ snapshot: false })
    // Arrival order: the second lease first, a traffic event from the first lease's time, then the first lease.
    e.enrich(dhcpAck('2026-11-27T09:00:00Z', '192.0.2.60', OTHER_MAC, 'desk-2', 3600))
    const early = traffic('2026-11-27T08:30:00Z', '192.0.2.60', '198.51.100.1')
    e.enrich(early)
    assert.equal((early.source as { domain?: string }).domain, undefined, 'nobody known to hold it at 08:30 yet')
    e.enrich(dhcpAck('2026-11-27T08:00:00Z', '192.0.2.60', MAC, 'laptop-7', 7200))
    const [t1, t2, t3] = enrichAll(e, [
      traffic('2026-11-27T08:59:59Z', '192.0.2.60', '198.51.100.1'),
      traffic('2026-11-27T09:00:00Z', '192.0.2.60', '198.51.100.1'),
      traffic('2026-11-27T08:15:00Z', '192.0.2.60', '198.51.100.1'),
    ])
    assert.equal((t1!.source as { domain?: string }).domain, 'laptop-7')
    assert.equal((t2!.source as { domain?: string }).domain, 'desk-2', 'the new lease ends the old one where it begins')
    assert.equal((t3!.source as { mac?: string }).mac, MAC)
    const answer = (await e.command('lookup', { ip: '192.0.2.60', at: '2026-11-27T08:30:00Z' })) as LookupAnswer
    assert.equal(answer.host, 'laptop-7')
    assert.deepEqual(
      answer.bindings.map((b) => [b.mac, b.start, b.end, b.closed]),
      [
        [MAC, '2026-11-27T08:00:00.000Z', '2026-11-27T09:00:00.000Z', true],
        [OTHER_MAC, '2026-11-27T09:00:00.000Z', '2026-11-27T10:00:00.000Z', false],
      ],
    )
  })

  it('ends leases with their lease time, stated end or release, and unstated ones with the TTL of their kind', async () => {
    const e = await build({ snapshot: false, ttl: { dhcp: '30m', login: '1h' } })
    enrichAll(e, [
      dhcpAck('2026-11-27T08:00:00Z', '192.0.2.70', MAC, 'a', 600), // lease time: 10 minutes
      dhcpAck('2026-11-27T08:00:00Z', '192.0.2.71', OTHER_MAC, 'b', undefined, '2026-11-27T08:20:00Z'), // stated end
      dhcpAck('2026-11-27T08:00:00Z', '192.0.2.72', '00-1A-2B-3C-4D-72', 'c'), // TTL: 30 minutes
      dhcpAck('2026-11-27T08:00:00Z', '192.0.2.73', '00-1A-2B-3C-4D-73', 'd', 86_400),
      dhcpRelease('2026-11-27T08:05:00Z', '192.0.2.73', '00-1A-2B-3C-4D-73'),
      loggedIn('2026-11-27T08:00:00Z', 'carol', '192.0.2.74', 'bastion'), // TTL: 1 hour
    ])
    const hostAt = (ip: string, ts: string): string | undefined => {
      const ev = traffic(ts, ip, '198.51.100.1')
      e.enrich(ev)
      const s = ev.source as { domain?: string; user?: { name: string } }
      return s.domain ?? s.user?.name
    }
    assert.deepEqual([hostAt('192.0.2.70', '2026-11-27T08:09:59Z'), hostAt('192.0.2.70', '2026-11-27T08:10:00Z')], ['a', undefined])
    assert.deepEqual([hostAt('192.0.2.71', '2026-11-27T08:19:59Z'), hostAt('192.0.2.71', '2026-11-27T08:20:00Z')], ['b', undefined])
    assert.deepEqual([hostAt('192.0.2.72', '2026-11-27T08:29:59Z'), hostAt('192.0.2.72', '2026-11-27T08:30:00Z')], ['c', undefined])
    assert.deepEqual([hostAt('192.0.2.73', '2026-11-27T08:04:59Z'), hostAt('192.0.2.73', '2026-11-27T08:05:00Z')], ['d', undefined])
    assert.deepEqual([hostAt('192.0.2.74', '2026-11-27T08:59:59Z'), hostAt('192.0.2.74', '2026-11-27T09:00:00Z')], ['carol', undefined])
  })

  it('learns VPN tunnel addresses and ends them with the session', async () => {
    const e = await build({ snapshot: false })
    e.enrich(vpnAssigned('2026-11-27T08:00:00Z', 'dave', '198.51.100.200', '203.0.113.9'))
    e.enrich(vpnEnded('2026-11-27T09:00:00Z', 'dave', '198.51.100.200'))
    const [during, afterEnd] = enrichAll(e, [traffic('2026-11-27T08:30:00Z', '198.51.100.200', '192.0.2.1'), traffic('2026-11-27T09:30:00Z', '198.51.100.200', '192.0.2.1')])
    assert.deepEqual(during!.source, { ip: '198.51.100.200', port: 50000, user: { name: 'dave' } })
    assert.equal((afterEnd!.source as { user?: unknown }).user, undefined)
    // The public address is where dave came from, not an address the map gives to dave.
    const pub = traffic('2026-11-27T08:30:00Z', '203.0.113.9', '192.0.2.1')
    e.enrich(pub)
    assert.equal((pub.source as { user?: unknown }).user, undefined)
  })

  it('ends an AnyConnect tunnel address when the ASA reports the session disconnected, naming only the user', async () => {
    const e = await build({ snapshot: false })
    const asa = (action: string, code: string, ts: string, extra: Record<string, unknown>): LogEvent => ({
      '@timestamp': ts,
      event: { action, code, module: 'cisco_asa', category: ['authentication'], outcome: 'success' },
      ...extra,
    })
    e.enrich(asa('vpn-address-assigned', '722051', '2026-11-27T08:00:07Z', { user: { name: 'alice' }, source: { ip: '198.51.100.45' }, client: { ip: '192.0.2.200' } }))
    // An ssh logout of the same user elsewhere leaves the tunnel alone.
    e.enrich({ '@timestamp': '2026-11-27T08:30:00Z', event: { action: 'logged-out', module: 'system', outcome: 'success' }, user: { name: 'alice' }, source: { ip: '192.0.2.44' } })
    assert.equal(((await e.command('lookup', { ip: '192.0.2.200', at: '2026-11-27T09:00:00Z' })) as LookupAnswer).user, 'alice')
    e.enrich(asa('logged-out', '113019', '2026-11-27T09:30:09Z', { user: { name: 'alice' }, source: { ip: '198.51.100.45' } }))
    const [during, afterEnd] = enrichAll(e, [traffic('2026-11-27T09:30:08Z', '192.0.2.200', '198.51.100.1'), traffic('2026-11-27T09:30:09Z', '192.0.2.200', '198.51.100.1')])
    assert.deepEqual((during!.source as { user?: object }).user, { name: 'alice' })
    assert.equal((afterEnd!.source as { user?: object }).user, undefined)
  })

  it('takes every event the beer parsers emit in their fixtures without throwing, and changes nothing they state', async () => {
    const packages = fileURLToPath(new URL('../../', import.meta.url))
    const e = await build({ snapshot: false })
    let n = 0
    for (const dir of (await readdir(packages)).filter((d) => d.startsWith('parser-')).sort()) {
      const fixtures = path.join(packages, dir, 'fixtures')
      const files = await readdir(fixtures).catch(() => [] as string[])
      for (const f of files.filter((x) => x.endsWith('.json')).sort()) {
        const events = [JSON.parse(await readFile(path.join(fixtures, f), 'utf8'))].flat(3) as LogEvent[]
        for (const original of events) {
          if (original === null || typeof original !== 'object') continue
          const ev = structuredClone(original)
          e.enrich(ev)
          n++
          assert.deepEqual(structuredClone(ev), JSON.parse(JSON.stringify(ev)), `${dir}/${f}: still plain JSON`)
          assertKept(original, ev, `${dir}/${f}`)
        }
      }
    }
    assert.ok(n > 0)
  })

  it('learns GlobalProtect and User-ID from what the PAN-OS parser emits', async () => {
    const fixtures = fileURLToPath(new URL('../../parser-paloalto/fixtures/', import.meta.url))
    const gp = JSON.parse(await readFile(path.join(fixtures, 'globalprotect.json'), 'utf8')) as LogEvent[]
    const userid = JSON.parse(await readFile(path.join(fixtures, 'userid.json'), 'utf8')) as LogEvent[]
    const e = await build({ snapshot: false })
    const connected = gp.find((ev) => ev.event?.action === 'gateway-connected' && (ev.source as { ip?: string }).ip === '198.51.100.130')!
    e.enrich(structuredClone(connected))
    const login = userid.find((ev) => (ev.source as { ip?: string }).ip === '192.0.2.151')!
    e.enrich(structuredClone(login))
    const [vpn, lan] = enrichAll(e, [traffic('2026-11-27T08:30:00Z', '198.51.100.130', '192.0.2.1'), traffic('2026-11-27T08:30:00Z', '192.0.2.151', '192.0.2.1')])
    assert.deepEqual(vpn!.source, { ip: '198.51.100.130', port: 50000, user: { name: 'alice', domain: 'EXAMPLE' }, domain: 'LAPTOP-ALICE' })
    assert.deepEqual(lan!.source, { ip: '192.0.2.151', port: 50000, user: { name: 'bob', domain: 'EXAMPLE' } })
    // User-ID's own timeout (2700 s) ends the mapping.
    const late = traffic('2026-11-27T08:46:00Z', '192.0.2.151', '192.0.2.1')
    e.enrich(late)
    assert.equal((late.source as { user?: unknown }).user, undefined)
    // The failed gateway login and the portal pre-login teach nothing; a failed login is not a binding.
    for (const ev of gp) e.enrich(structuredClone(ev))
    e.enrich(loggedIn('2026-11-27T08:00:00Z', 'mallory', '192.0.2.99', 'bastion', 'failure'))
    const status = (await e.command('status')) as IdentityStatus
    assert.deepEqual(status.learned, { 'globalprotect-connected': 3, 'userid-login': 1, 'globalprotect-logout': 1 })
    assert.equal(status.addresses, 3)
  })

  it('reads the target of a login as the target: host.name never becomes the source’s name', async () => {
    const e = await build({ snapshot: false })
    e.enrich(loggedIn('2026-11-27T08:00:00Z', 'erin', '192.0.2.80', 'bastion-1'))
    const ev = traffic('2026-11-27T08:01:00Z', '192.0.2.80', '198.51.100.1')
    e.enrich(ev)
    assert.deepEqual(ev.source, { ip: '192.0.2.80', port: 50000, user: { name: 'erin' } })
  })

  it('answers from static entries when nothing learned covers the time', async () => {
    const e = await build({ snapshot: false, static: [{ ip: '192.0.2.5', host: 'printer-1', mac: '00:00:5e:00:53:05' }] })
    const [before] = enrichAll(e, [traffic('2020-01-01T00:00:00Z', '198.51.100.1', '192.0.2.5')])
    assert.deepEqual(before!.destination, { ip: '192.0.2.5', port: 443, domain: 'printer-1', mac: '00-00-5E-00-53-05' })
    assert.deepEqual((before!.beer as { identity: object }).identity, { destination: { host: { kind: 'static' }, mac: { kind: 'static' } } })
    e.enrich(dhcpAck('2026-11-27T08:00:00Z', '192.0.2.5', MAC, 'imposter', 3600))
    const [learned] = enrichAll(e, [traffic('2026-11-27T08:30:00Z', '198.51.100.1', '192.0.2.5')])
    assert.equal((learned!.destination as { domain: string }).domain, 'imposter')
  })

  it('is robust to missing and malformed fields', async () => {
    const e = await build({ snapshot: false })
    const odd: LogEvent[] = [
      { event: { action: 'dhcp-ack' } },
      { event: { action: 'dhcp-ack' }, client: { ip: 'not-an-ip', mac: MAC } },
      { event: { action: 'dhcp-ack' }, client: { ip: '192.0.2.9' } },
      { event: { action: 'dhcp-ack' }, client: 'x' as never },
      { event: { action: 'vpn-address-assigned' }, user: { name: '-' }, client: { ip: '192.0.2.10' } },
      { event: { action: 'logged-in', outcome: 'success' }, user: { name: 'x' }, source: { ip: ['192.0.2.11'] as never } },
      { '@timestamp': 'yesterday', source: { ip: '192.0.2.9', user: 'alice' as never }, related: 'x' as never },
      { source: null as never, destination: [] as never, client: { ip: 42 as never } },
    ]
    for (const ev of odd) e.enrich(ev)
    const status = (await e.command('status')) as IdentityStatus
    assert.deepEqual(status.ignored, { 'dhcp-lease': 4, 'vpn-assigned': 1 })
    assert.equal(status.learned['login'], 1, 'the first address of a list is used')
  })

  it('answers status, lookup and reset commands', async () => {
    const e = await build({ snapshot: false })
    e.enrich(dhcpAck('2026-11-27T08:00:00Z', '192.0.2.50', MAC, 'laptop-7', 3600))
    enrichAll(e, [traffic('2026-11-27T08:10:00Z', '192.0.2.50', '198.51.100.1')])
    const status = (await e.command('status')) as IdentityStatus
    assert.equal(status.store, 'memory')
    // The lease's own client (its user unknown), and the traffic's source and destination.
    assert.deepEqual([status.addresses, status.bindings, status.lookups, status.hits, status.hitRate], [1, 1, 3, 2, 0.667])
    const answer = (await e.command('lookup', '192.0.2.50')) as LookupAnswer
    assert.equal(answer.ip, '192.0.2.50')
    assert.equal(answer.bindings.length, 1)
    const at = (await e.command('lookup', { ip: '192.0.2.50', at: '2026-11-27T08:30:00Z' })) as LookupAnswer
    assert.deepEqual([at.host, at.mac, at.sources.host], ['laptop-7', MAC, { kind: 'dhcp', since: '2026-11-27T08:00:00.000Z' }])
    await assert.rejects(async () => e.command('lookup', { ip: 'nope' }), { code: 'BEER_ERR_IDENTITY_LOOKUP' })
    await assert.rejects(async () => e.command('lookup', { ip: '192.0.2.50', at: 'noon' }), { code: 'BEER_ERR_IDENTITY_LOOKUP' })
    assert.deepEqual(await e.command('reset'), { reset: true, forgotten: 1 })
    assert.equal(((await e.command('status')) as IdentityStatus).addresses, 0)
    assert.equal(e.command('rotate'), undefined)
  })
})

describe('the snapshot', () => {
  it('is written atomically on close and restored at start', async () => {
    const file = path.join(dir, 'restore', 'identity.json')
    const first = await build({ snapshot: file })
    first.enrich(dhcpAck('2026-11-27T08:00:00Z', '192.0.2.50', MAC, 'laptop-7', 3600))
    first.enrich(vpnAssigned('2026-11-27T08:00:00Z', 'dave', '198.51.100.200', '203.0.113.9'))
    await first.close?.()
    assert.equal((await stat(file)).mode & 0o777, 0o600)
    assert.deepEqual(await readdir(path.dirname(file)), ['identity.json'], 'no temporary file left behind')
    const ctx = context()
    const second = await build({ snapshot: file }, ctx)
    const [ev] = enrichAll(second, [traffic('2026-11-27T08:30:00Z', '192.0.2.50', '198.51.100.200')])
    assert.equal((ev!.source as { domain: string }).domain, 'laptop-7')
    assert.deepEqual((ev!.destination as { user: object }).user, { name: 'dave' })
    const status = (await second.command('status')) as IdentityStatus
    assert.equal(status.snapshot?.restored, 2)
    assert.equal(status.snapshot?.error, null)
    assert.match(ctx.lines.find((l) => l.level === 'info')!.message, /restored 2 bindings of 2 addresses/)
    await second.close?.()
  })

  it('is written on its timer while running', async () => {
    const file = path.join(dir, 'timer', 'identity.json')
    const e = await build({ snapshot: file, snapshotInterval: 1000 })
    e.enrich(dhcpAck('2026-11-27T08:00:00Z', '192.0.2.50', MAC, 'laptop-7', 3600))
    const deadline = Date.now() + 5000
    while (Date.now() < deadline && !(await stat(file).catch(() => undefined))) await new Promise((r) => setTimeout(r, 50))
    const doc = JSON.parse(await readFile(file, 'utf8'))
    assert.equal(doc.format, 'beer-identity')
    assert.equal(doc.addresses['192.0.2.50'][0].host, 'laptop-7')
    await e.close?.()
  })

  it('a corrupt snapshot starts an empty map with a warning in the log and in status, never a crash', async () => {
    for (const [i, text] of ['{"format":"beer-identity","version":1,"addresses":{"192.0.2.1":[{"kind":"dhcp"', '{"hello":"world"}', '{"format":"beer-identity","version":1,"addresses":{"192.0.2.1":[{"kind":"dhcp","start":"x","end":5}]}}'].entries()) {
      const sub = path.join(dir, `corrupt-${i}`)
      const file = path.join(sub, 'identity.json')
      await rm(sub, { recursive: true, force: true })
      await import('node:fs/promises').then((fs) => fs.mkdir(sub, { recursive: true }))
      await writeFile(file, text)
      const ctx = context()
      const e = await build({ snapshot: file }, ctx)
      const warn = ctx.lines.find((l) => l.level === 'warn')
      assert.ok(warn, 'a warning is logged')
      assert.match(warn.message, /starting with an empty map/)
      assert.equal(warn.fields?.code, 'BEER_ERR_IDENTITY_SNAPSHOT')
      const status = (await e.command('status')) as IdentityStatus
      assert.equal(status.addresses, 0)
      assert.equal(status.snapshot?.restored, null)
      assert.match(status.snapshot!.error!, /identity snapshot/)
      // The bad file is kept aside for inspection, and a good one replaces it.
      e.enrich(dhcpAck('2026-11-27T08:00:00Z', '192.0.2.50', MAC, 'laptop-7', 3600))
      await e.close?.()
      const names = await readdir(sub)
      assert.equal(names.filter((n) => n.startsWith('identity.json.corrupt-')).length, 1, names.join(', '))
      assert.equal(JSON.parse(await readFile(file, 'utf8')).format, 'beer-identity')
    }
  })
})

/** Every value `before` states is in `after` unchanged; lists may only have grown at the end. */
function assertKept(before: unknown, after: unknown, where: string, at = ''): void {
  if (Array.isArray(before)) {
    assert.ok(Array.isArray(after), `${where}: ${at} is no longer a list`)
    before.forEach((v, i) => assertKept(v, (after as unknown[])[i], where, `${at}[${i}]`))
  } else if (before !== null && typeof before === 'object') {
    assert.ok(after !== null && typeof after === 'object', `${where}: ${at} is no longer an object`)
    for (const [k, v] of Object.entries(before)) assertKept(v, (after as Record<string, unknown>)[k], where, at ? `${at}.${k}` : k)
  } else assert.equal(after, before, `${where}: ${at} changed`)
}
