import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { bind, end, holdersAt, prune, type Binding, type Holders } from '../src/history.ts'
import { ecsMac, mapAddress } from '../src/addresses.ts'

const A = 'AA-AA-AA-AA-AA-01'
const B = 'BB-BB-BB-BB-BB-02'

function lease(mac: string, start: number, end: number): Binding {
  return { kind: 'dhcp', start, end, closed: false, mac }
}

function macAt(list: Binding[], t: number): string | undefined {
  const h: Holders = { user: undefined, host: undefined, mac: undefined }
  holdersAt(list, t, h)
  return h.mac?.mac
}

/** Every order of `ops`, so a history can be checked not to depend on arrival order. */
function permutations<T>(items: T[]): T[][] {
  if (items.length <= 1) return [items]
  return items.flatMap((x, i) => permutations([...items.slice(0, i), ...items.slice(i + 1)]).map((rest) => [x, ...rest]))
}

type Op = { bind: Binding } | { end: { at: number; mac?: string } }

function replay(ops: Op[]): Binding[] {
  const list: Binding[] = []
  for (const op of ops) {
    if ('bind' in op) bind(list, { ...op.bind })
    else end(list, 'dhcp', op.end.at, op.end.mac === undefined ? {} : { mac: op.end.mac })
  }
  return list
}

describe('an address history', () => {
  it('answers who held the address at each time, whatever order the leases, renewal and release arrived in', () => {
    const ops: Op[] = [
      { bind: lease(A, 1000, 4600) }, // A leased at 1000 for an hour's worth
      { bind: lease(A, 2800, 6400) }, // A renews at 2800
      { end: { at: 5000, mac: A } }, // A releases at 5000
      { bind: lease(B, 5500, 9100) }, // B gets it at 5500
    ]
    for (const order of permutations(ops)) {
      const list = replay(order)
      const seen = [999, 1000, 2799, 4700, 4999, 5000, 5400, 5500, 9099, 9100].map((t) => macAt(list, t))
      assert.deepEqual(seen, [undefined, A, A, A, A, undefined, undefined, B, B, undefined], JSON.stringify(order))
    }
  })

  it('ends the previous holder where a new holder begins, also when the new one arrives first', () => {
    for (const order of permutations<Op>([{ bind: lease(A, 0, 10_000) }, { bind: lease(B, 4000, 14_000) }])) {
      const list = replay(order)
      assert.equal(macAt(list, 3999), A)
      assert.equal(macAt(list, 4000), B)
      assert.equal(macAt(list, 12_000), B)
    }
  })

  it('an end that names no holder ends whoever held the address then', () => {
    const list = replay([{ end: { at: 3000 } }, { bind: lease(A, 1000, 9000) }])
    assert.equal(macAt(list, 2999), A)
    assert.equal(macAt(list, 3000), undefined)
  })

  it('an end for another holder leaves the binding alone', () => {
    const list = replay([{ bind: lease(A, 1000, 9000) }, { end: { at: 3000, mac: B } }])
    assert.equal(macAt(list, 5000), A)
  })

  it('prefers, per attribute, the binding that began last among those in force', () => {
    const list: Binding[] = []
    bind(list, { kind: 'dhcp', start: 0, end: 100, closed: false, mac: A, host: 'laptop-7' })
    bind(list, { kind: 'userid', start: 10, end: 50, closed: false, user: 'alice' })
    bind(list, { kind: 'login', start: 20, end: 60, closed: false, user: 'bob' })
    const h: Holders = { user: undefined, host: undefined, mac: undefined }
    holdersAt(list, 30, h)
    assert.deepEqual([h.user?.user, h.host?.host, h.mac?.mac], ['bob', 'laptop-7', A])
    const later: Holders = { user: undefined, host: undefined, mac: undefined }
    holdersAt(list, 55, later)
    assert.deepEqual([later.user?.user, later.user?.kind], ['bob', 'login'])
  })

  it('prunes what ended before the horizon, then the oldest beyond the cap', () => {
    const list: Binding[] = [lease(A, 0, 10), lease(B, 20, 30), lease(A, 40, 50), lease(B, 60, 70)]
    assert.equal(prune(list, 15, 2), 2)
    assert.deepEqual(
      list.map((b) => b.start),
      [40, 60],
    )
  })
})

describe('addresses', () => {
  it('keys IPv4 and IPv6 one way, and refuses loopback, unspecified and non-addresses', () => {
    assert.equal(mapAddress('192.0.2.10'), '192.0.2.10')
    assert.equal(mapAddress('2001:DB8::A'), '2001:db8::a')
    assert.equal(mapAddress('::ffff:192.0.2.10'), '192.0.2.10')
    assert.equal(mapAddress('fe80::1%eth0'), 'fe80::1')
    for (const bad of ['127.0.0.1', '::1', '0.0.0.0', '::', 'host.example', '192.0.2.300', '', 42, null]) assert.equal(mapAddress(bad), undefined, String(bad))
  })

  it('writes MAC addresses the ECS way', () => {
    for (const v of ['00:1a:2b:3c:4d:5e', '00-1A-2B-3C-4D-5E', '001a.2b3c.4d5e', '001A2B3C4D5E']) assert.equal(ecsMac(v), '00-1A-2B-3C-4D-5E')
    assert.equal(ecsMac('00:1a:2b'), undefined)
    assert.equal(ecsMac('00:00:00:00:00:00'), undefined)
  })
})
