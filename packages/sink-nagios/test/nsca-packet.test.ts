import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtemp, rm, writeFile } from 'node:fs/promises'
import net from 'node:net'
import { tmpdir } from 'node:os'
import path from 'node:path'
import * as zlib from 'node:zlib'
import { after, describe, it } from 'node:test'
import {
  crc32,
  decodeInitPacket,
  decodePacket,
  encodePacket,
  LEGACY_PACKET_BYTES,
  PACKET_BYTES,
  xorBuffer,
} from '../src/nsca-packet.ts'
import { freePort, SEND_NSCA, skipUnless } from './harness.ts'

const skipSend = skipUnless(['send_nsca', SEND_NSCA])

const dirs: string[] = []
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

const te = new TextEncoder()

function initPacket(timestamp: number, seed = 7): Uint8Array {
  const buf = new Uint8Array(132)
  for (let i = 0; i < 128; i++) buf[i] = (i * 31 + seed) & 0xff
  new DataView(buf.buffer).setUint32(128, timestamp)
  return buf
}

describe('NSCA packets', () => {
  it('computes the CRC-32 nsca computes (the zlib one)', () => {
    const data = te.encode('The quick brown fox jumps over the lazy dog')
    assert.equal(crc32(data), 0x414fa339)
    const random = new Uint8Array(4304).map((_, i) => (i * 7919) & 0xff)
    assert.equal(crc32(random), zlib.crc32(random))
  })

  it('lays out a 4304-byte version 3 packet as data_packet in nsca 2.9+', () => {
    const init = decodeInitPacket(initPacket(1795788000))
    const p = encodePacket({ host: 'web01', service: 'Login', returnCode: 2, output: 'hello' }, init, 'none', new Uint8Array())
    assert.equal(p.length, PACKET_BYTES)
    const v = new DataView(p.buffer)
    assert.equal(v.getInt16(0), 3)
    assert.equal(v.getUint32(8), 1795788000, "the server's timestamp")
    assert.equal(v.getInt16(12), 2)
    assert.equal(new TextDecoder().decode(p.subarray(14, 20)), 'web01\0')
    assert.equal(new TextDecoder().decode(p.subarray(78, 84)), 'Login\0')
    assert.equal(new TextDecoder().decode(p.subarray(206, 212)), 'hello\0')
    const copy = p.slice()
    new DataView(copy.buffer).setUint32(4, 0)
    assert.equal(v.getUint32(4), zlib.crc32(copy), 'CRC over the packet with its CRC field zeroed')
    const legacy = encodePacket({ host: 'h', service: '', returnCode: 0, output: 'x'.repeat(600) }, init, 'none', new Uint8Array(), true)
    assert.equal(legacy.length, LEGACY_PACKET_BYTES)
    assert.equal(decodePacket(legacy, init, 'none', new Uint8Array()).output.length, 511)
  })

  it('XORs with the IV and the password, and reads back', () => {
    const init = decodeInitPacket(initPacket(1795788000))
    const pw = te.encode('s3cret')
    const p = encodePacket({ host: 'web01', service: 'S', returnCode: 1, output: 'out' }, init, 'xor', pw)
    assert.notEqual(new DataView(p.buffer).getInt16(0), 3)
    const d = decodePacket(p, init, 'xor', pw)
    assert.deepEqual({ ...d }, { version: 3, timestamp: 1795788000, returnCode: 1, host: 'web01', service: 'S', output: 'out', crcValid: true })
    assert.equal(decodePacket(p, init, 'xor', te.encode('wrong')).crcValid, false)
    const b = new Uint8Array([1, 2, 3])
    xorBuffer(b, init.iv, pw)
    xorBuffer(b, init.iv, pw)
    assert.deepEqual([...b], [1, 2, 3])
  })

  it('reads what the real send_nsca sends, unencrypted and XORed', { skip: skipSend }, async () => {
    const dir = await mkdtemp(path.join(tmpdir(), 'beer-nagios-packet-'))
    dirs.push(dir)
    for (const [method, password] of [[0, ''], [1, 'pa55word']] as const) {
      const port = await freePort()
      const init = initPacket(1795788000, method + 3)
      const got = new Promise<Buffer>((resolve) => {
        const srv = net.createServer((s) => {
          s.write(init)
          const chunks: Buffer[] = []
          s.on('data', (c) => chunks.push(c))
          s.on('end', () => {
            s.end()
            srv.close()
            resolve(Buffer.concat(chunks))
          })
        })
        srv.listen(port, '127.0.0.1')
      })
      const cfg = path.join(dir, `send-${method}.cfg`)
      await writeFile(cfg, `encryption_method=${method}\n${password ? `password=${password}\n` : ''}`)
      const child = spawn(SEND_NSCA!, ['-H', '127.0.0.1', '-p', String(port), '-c', cfg], { stdio: ['pipe', 'ignore', 'ignore'] })
      const exited = new Promise((resolve) => child.once('exit', resolve))
      child.stdin.end('web01\tLogin from a country new for the user\t2\tfrom send_nsca\n')
      const data = await got
      await exited
      assert.equal(data.length, PACKET_BYTES, `method ${method}`)
      const d = decodePacket(data, decodeInitPacket(init), method === 1 ? 'xor' : 'none', te.encode(password))
      assert.deepEqual(
        { ...d },
        { version: 3, timestamp: 1795788000, returnCode: 2, host: 'web01', service: 'Login from a country new for the user', output: 'from send_nsca', crcValid: true },
      )
    }
  })
})
