import { test } from 'node:test'
import net from 'node:net'
import assert from 'node:assert/strict'
import { ipOrUndefined, isIp, toInt, toIntHex } from '../src/values.ts'

test('reads decimal whole numbers', () => {
  assert.equal(toInt('42'), 42)
  assert.equal(toInt('-7'), -7)
  assert.equal(toInt('0'), 0)
  assert.ok(Object.is(toInt('-0'), 0))
  assert.equal(toInt('9007199254740991'), Number.MAX_SAFE_INTEGER)
})

test('gives undefined for anything but a decimal whole number', () => {
  for (const text of [undefined, '', '-', 'abc', '1.5', ' 7', '7 ', '0x10', '1e3', '+5', 'Infinity', '9007199254740993', '١٢']) {
    assert.equal(toInt(text), undefined, JSON.stringify(text))
  }
})

test('reads hexadecimal fields', () => {
  assert.equal(toIntHex('0x400000'), 0x400000)
  assert.equal(toIntHex('0XfF'), 255)
  for (const text of [undefined, '', '400000', '0x', '0xzz', '0x8000000000000000']) assert.equal(toIntHex(text), undefined, String(text))
})

test('accepts IPv4 addresses and refuses malformed ones', () => {
  for (const ip of ['192.0.2.1', '0.0.0.0', '255.255.255.255', '198.51.100.254']) assert.equal(isIp(ip), true, ip)
  for (const ip of ['256.1.1.1', '192.0.2', '192.0.2.1.5', '01.2.3.4', '192.0.2.1 ', ' 192.0.2.1', '192.0.2.1:514', 'a.b.c.d']) {
    assert.equal(isIp(ip), false, ip)
  }
})

test('accepts the IPv6 forms: full, compressed, and with an IPv4 tail', () => {
  for (const ip of [
    '2001:db8:0:0:0:0:0:1',
    '2001:DB8::1',
    '::',
    '::1',
    '2001:db8::',
    '1:2:3:4:5:6:7::',
    '::2:3:4:5:6:7:8',
    '::ffff:192.0.2.1',
    '64:ff9b::198.51.100.7',
    '1:2:3:4:5:6:192.0.2.1',
  ]) {
    assert.equal(isIp(ip), true, ip)
  }
})

test('refuses malformed IPv6, zone indexes and ports', () => {
  for (const ip of [
    '2001:db8::1::2',
    '2001:db8:::1',
    '1:2:3:4:5:6:7:8:9',
    '1:2:3:4:5:6:7',
    '1::2:3:4:5:6:7:8',
    '12345::1',
    ':1:2:3:4:5:6:7',
    'fe80::1%eth0',
    '[2001:db8::1]',
    '[2001:db8::1]:514',
    '::192.0.2.1:1',
    '1:2:3:4:5:6:7:192.0.2.1',
    '::ffff:256.0.2.1',
    ':',
    ':::',
    'g::1',
  ]) {
    assert.equal(isIp(ip), false, ip)
  }
  assert.equal(isIp(undefined), false)
  assert.equal(isIp(''), false)
})

test('passes through valid addresses only', () => {
  assert.equal(ipOrUndefined('2001:db8::7'), '2001:db8::7')
  assert.equal(ipOrUndefined('unknown'), undefined)
  assert.equal(ipOrUndefined(undefined), undefined)
})

test('canonicalIp writes IPv6 as RFC 5952 recommends and leaves everything else as it is', async () => {
  const { canonicalIp } = await import('../src/values.ts')
  assert.equal(canonicalIp('2001:0DB8:0000:0000:0000:0000:0000:0001'), '2001:db8::1')
  assert.equal(canonicalIp('2001:db8:0:0:1:0:0:1'), '2001:db8::1:0:0:1')
  assert.equal(canonicalIp('2001:db8:0:1:1:1:1:1'), '2001:db8:0:1:1:1:1:1')
  assert.equal(canonicalIp('0:0:0:0:0:0:0:0'), '::')
  assert.equal(canonicalIp('192.0.2.1'), '192.0.2.1')
  assert.equal(canonicalIp('::ffff:192.0.2.1'), '::ffff:192.0.2.1')
  assert.equal(canonicalIp('not:an:address'), 'not:an:address')
})

test('ecsMac writes hardware addresses in the ECS form, and refuses what is none', async () => {
  const { ecsMac } = await import('../src/values.ts')
  assert.equal(ecsMac('00:1a:2b:3c:4d:5e'), '00-1A-2B-3C-4D-5E')
  assert.equal(ecsMac('0:1a:2:3c:4d:5e'), '00-1A-02-3C-4D-5E')
  for (const text of ['', '00:1a:2b:3c:4d:5g', '001:1a', '00::1a', 'a'.repeat(500)]) assert.equal(ecsMac(text), undefined, text)
})

test('isIp agrees with the runtime address check on 100,000 random strings of address characters', () => {
  let seed = 11
  const random = (n: number): number => {
    seed = (Math.imul(seed, 1103515245) + 12345) >>> 0
    return (seed >>> 8) % n
  }
  // Shapes near the edge: colons in runs, IPv4 tails in every place, groups of 1 to 5 digits.
  const pieces = ['::', ':', '0', '1', 'f', 'ff', 'abcd', 'ABCD', '12345', 'fffff', '1.2.3.4', '255.255.255.255', '256.1.1.1', '01.2.3.4', '.', '1.2.3', 'g']
  let valid = 0
  for (let k = 0; k < 100_000; k++) {
    let s = ''
    for (let m = 1 + random(12); m > 0; m--) s += pieces[random(pieces.length)]!
    const expected = net.isIP(s) !== 0
    assert.equal(isIp(s), expected, s)
    if (expected) valid++
  }
  assert.ok(valid > 1000, `enough valid addresses among them (${valid})`)
})
