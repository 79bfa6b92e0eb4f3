import assert from 'node:assert/strict'
import { isIP } from 'node:net'
import { describe, it } from 'node:test'
import { parseCidr, parseIp } from '../src/ip.ts'

const words = new Uint32Array(4)

function v6(text: string): string[] {
  assert.equal(parseIp(text, words), 6, text)
  return [...words].map((w) => w.toString(16).padStart(8, '0'))
}

describe('parseIp', () => {
  it('reads dotted-quad IPv4 addresses', () => {
    assert.equal(parseIp('192.0.2.1', words), 4)
    assert.equal(words[0], 0xc0000201)
    assert.equal(parseIp('255.255.255.255', words), 4)
    assert.equal(words[0], 0xffffffff)
    assert.equal(parseIp('0.0.0.0', words), 4)
    assert.equal(words[0], 0)
  })

  it('refuses what is not an IPv4 address, as net.isIP does', () => {
    for (const bad of ['256.1.1.1', '1.2.3', '1.2.3.4.5', '01.2.3.4', '1..2.3', '1.2.3.4 ', ' 1.2.3.4', '1.2.3.-1', 'a.b.c.d', '', '1', '1.2.3.4/24', '1.2.3.4%eth0']) {
      assert.equal(parseIp(bad, words), 0, bad)
      assert.equal(isIP(bad), 0, `net.isIP agrees on '${bad}'`)
    }
  })

  it('reads IPv6 in its full, compressed and dotted-quad forms', () => {
    assert.deepEqual(v6('2001:db8::1'), ['20010db8', '00000000', '00000000', '00000001'])
    assert.deepEqual(v6('2001:DB8:0:0:8:800:200C:417A'), ['20010db8', '00000000', '00080800', '200c417a'])
    assert.deepEqual(v6('::'), ['00000000', '00000000', '00000000', '00000000'])
    assert.deepEqual(v6('::1'), ['00000000', '00000000', '00000000', '00000001'])
    assert.deepEqual(v6('fe80::'), ['fe800000', '00000000', '00000000', '00000000'])
    assert.deepEqual(v6('1:2:3:4:5:6:7::'), ['00010002', '00030004', '00050006', '00070000'])
    assert.deepEqual(v6('::2:3:4:5:6:7:8'), ['00000002', '00030004', '00050006', '00070008'])
    assert.deepEqual(v6('64:ff9b::192.0.2.33'), ['0064ff9b', '00000000', '00000000', 'c0000221'])
    assert.deepEqual(v6('fe80::1%eth0'), ['fe800000', '00000000', '00000000', '00000001'])
  })

  it('gives the IPv4 address inside an IPv4-mapped IPv6 address', () => {
    assert.equal(parseIp('::ffff:192.0.2.1', words), 4)
    assert.equal(words[0], 0xc0000201)
    assert.equal(parseIp('::ffff:c000:201', words), 4)
    assert.equal(words[0], 0xc0000201)
  })

  it('refuses what is not an IPv6 address', () => {
    for (const bad of ['1:2:3:4:5:6:7:8:9', '1::2::3', '12345::', ':1', '1:', '1:2:3:4:5:6:7', 'g::1', '::ffff:1.2.3', '1:2:3:4:5:6:7:1.2.3.4', '%eth0', '::1%']) {
      assert.equal(parseIp(bad, words), 0, bad)
    }
  })

  it('agrees with net.isIP on a spread of generated addresses', () => {
    let seed = 7
    const rnd = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2 ** 31
      return seed % n
    }
    for (let i = 0; i < 2000; i++) {
      const groups = Array.from({ length: 8 }, () => rnd(0x10000).toString(16))
      const zeros = rnd(4)
      const start = rnd(8 - zeros)
      const text =
        zeros > 1 ? `${groups.slice(0, start).join(':')}::${groups.slice(start + zeros).join(':')}` : groups.join(':')
      assert.equal(parseIp(text, words) !== 0, isIP(text) === 6, text)
    }
  })
})

describe('parseCidr', () => {
  it('reads networks and bare addresses', () => {
    assert.deepEqual(parseCidr('10.0.0.0/8'), { family: 4, words: new Uint32Array([0x0a000000]), bits: 8 })
    assert.deepEqual(parseCidr(' 192.0.2.7 '), { family: 4, words: new Uint32Array([0xc0000207]), bits: 32 })
    const six = parseCidr('2001:db8::/32')
    assert.ok(typeof six !== 'string' && six.family === 6 && six.bits === 32)
    assert.deepEqual(parseCidr('::ffff:10.0.0.0/104'), { family: 4, words: new Uint32Array([0x0a000000]), bits: 8 })
  })

  it('says what is wrong with a bad network', () => {
    assert.match(parseCidr('10.0.0.0/33') as string, /out of range/)
    assert.match(parseCidr('10.1.2.3/8') as string, /host bits/)
    assert.match(parseCidr('10.0.0.0/') as string, /prefix length/)
    assert.match(parseCidr('10.0.0.0/x') as string, /prefix length/)
    assert.match(parseCidr('nonsense/8') as string, /not an IPv4 or IPv6 network/)
    assert.match(parseCidr('2001:db8::1/32') as string, /host bits/)
  })
})
