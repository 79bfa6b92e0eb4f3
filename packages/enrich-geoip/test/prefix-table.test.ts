import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { parseCidr, parseIp } from '../src/ip.ts'
import { PrefixTable } from '../src/prefix-table.ts'

function table(cidrs: string[]): PrefixTable {
  const t = new PrefixTable()
  cidrs.forEach((c, i) => {
    const p = parseCidr(c)
    assert.ok(typeof p !== 'string', `${c}: ${String(p)}`)
    assert.equal(t.insert(p.family, p.words, p.bits, i), -1)
  })
  return t
}

const words = new Uint32Array(4)
function find(t: PrefixTable, ip: string): number {
  const f = parseIp(ip, words)
  assert.notEqual(f, 0, ip)
  return f === 4 ? t.lookup4(words[0]!) : t.lookup6(words)
}

describe('PrefixTable', () => {
  it('finds the longest of overlapping IPv4 networks', () => {
    const nets = ['10.0.0.0/8', '10.1.0.0/16', '10.1.2.0/24', '10.1.2.128/25', '10.1.2.200/32', '192.168.0.0/16']
    const t = table(nets)
    const at = (ip: string): string | undefined => nets[find(t, ip)]
    assert.equal(at('10.9.9.9'), '10.0.0.0/8')
    assert.equal(at('10.1.9.9'), '10.1.0.0/16')
    assert.equal(at('10.1.2.3'), '10.1.2.0/24')
    assert.equal(at('10.1.2.129'), '10.1.2.128/25')
    assert.equal(at('10.1.2.200'), '10.1.2.200/32')
    assert.equal(at('10.1.2.201'), '10.1.2.128/25')
    assert.equal(at('11.0.0.1'), undefined)
    assert.equal(at('192.168.255.255'), '192.168.0.0/16')
    assert.equal(at('192.169.0.0'), undefined)
  })

  it('finds the longest of overlapping IPv6 networks, across word boundaries', () => {
    const nets = ['2001:db8::/32', '2001:db8:1::/48', '2001:db8:1:2::/64', '2001:db8:1:2:3::/80', '2001:db8:1:2:3:4:5:6/128', 'fc00::/7']
    const t = table(nets)
    const at = (ip: string): string | undefined => nets[find(t, ip)]
    assert.equal(at('2001:db8:ffff::1'), '2001:db8::/32')
    assert.equal(at('2001:db8:1:ffff::1'), '2001:db8:1::/48')
    assert.equal(at('2001:db8:1:2:ffff::1'), '2001:db8:1:2::/64')
    assert.equal(at('2001:db8:1:2:3:ffff::1'), '2001:db8:1:2:3::/80')
    assert.equal(at('2001:db8:1:2:3:4:5:6'), '2001:db8:1:2:3:4:5:6/128')
    assert.equal(at('2001:db8:1:2:3:4:5:7'), '2001:db8:1:2:3::/80')
    assert.equal(at('fd12:3456::1'), 'fc00::/7')
    assert.equal(at('fe80::1'), undefined)
    assert.equal(at('2001:db9::1'), undefined)
  })

  it('keeps IPv4 and IPv6 apart, and takes /0 as a default route', () => {
    const t = table(['0.0.0.0/0', '::/0', '10.0.0.0/8'])
    assert.equal(find(t, '8.8.8.8'), 0)
    assert.equal(find(t, '10.0.0.1'), 2)
    assert.equal(find(t, '2001:db8::1'), 1)
    // An IPv4-mapped address is the IPv4 address.
    assert.equal(find(t, '::ffff:10.0.0.1'), 2)
  })

  it('reports a network given twice instead of replacing it', () => {
    const t = table(['10.0.0.0/8'])
    const p = parseCidr('10.0.0.0/8') as Exclude<ReturnType<typeof parseCidr>, string>
    assert.equal(t.insert(4, p.words, p.bits, 99), 0)
    assert.equal(t.size, 1)
  })

  it('matches a linear scan on many random overlapping networks', () => {
    let seed = 42
    const rnd = (): number => {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0
      return seed
    }
    const nets: { addr: number; bits: number }[] = []
    const t = new PrefixTable()
    const seenNet = new Set<string>()
    while (nets.length < 3000) {
      // Networks clustered in 10/8 so that many overlap.
      const bits = 8 + (rnd() % 25)
      const mask = bits === 32 ? 0xffffffff : (0xffffffff << (32 - bits)) >>> 0
      const addr = ((0x0a000000 | (rnd() & 0x00ff0ff0)) & mask) >>> 0
      const key = `${addr}/${bits}`
      if (seenNet.has(key)) continue
      seenNet.add(key)
      assert.equal(t.insert(4, new Uint32Array([addr]), bits, nets.length), -1)
      nets.push({ addr, bits })
    }
    for (let i = 0; i < 20_000; i++) {
      const ip = ((0x0a000000 | (rnd() & 0x00ffffff)) >>> 0) ^ (i % 7 === 0 ? 0x01000000 : 0)
      let best = -1
      let bestBits = -1
      nets.forEach((n, k) => {
        const mask = n.bits === 32 ? 0xffffffff : (0xffffffff << (32 - n.bits)) >>> 0
        if (((ip & mask) >>> 0) === n.addr && n.bits > bestBits) {
          best = k
          bestBits = n.bits
        }
      })
      assert.equal(t.lookup4(ip >>> 0), best)
    }
  })
})
