import net from 'node:net'
import { cutBytes, fitOutput, type CheckResult } from './mapping.ts'
import {
  decodeInitPacket,
  encodePacket,
  HOST_FIELD_BYTES,
  INIT_PACKET_BYTES,
  LEGACY_OUTPUT_FIELD_BYTES,
  OUTPUT_FIELD_BYTES,
  SERVICE_FIELD_BYTES,
} from './nsca-packet.ts'
import type { ResolvedNsca } from './options.ts'
import { DeliveryFailure, errorCode, errorText, type Transport } from './transport.ts'

const WHAT: Record<string, string> = {
  ECONNREFUSED: 'nothing listens there: the NSCA daemon is not running, or listens on another port',
  ETIMEDOUT: 'no answer in time',
  EHOSTUNREACH: 'the host cannot be reached',
  ENOTFOUND: 'the host name does not resolve',
  EAI_AGAIN: 'the host name could not be resolved now',
  ECONNRESET: 'the daemon reset the connection',
  EPIPE: 'the daemon closed the connection',
}

/**
 * Sends check results to an NSCA daemon as send_nsca does: connect, read the 132-byte init packet
 * (IV and the server's time), send one data packet per result, close our side, and wait for the
 * daemon to close its side, which it does once it has read every packet. NSCA answers nothing
 * else: a packet the daemon drops (wrong password or method: "invalid CRC32" in its syslog) is
 * seen here only when it closes the connection before reading the rest.
 */
export class NscaTransport implements Transport {
  readonly kind = 'nsca' as const
  readonly target: string
  readonly concurrency: number
  readonly batchSize: number
  readonly #o: ResolvedNsca
  readonly #password: Uint8Array
  readonly #sockets = new Set<net.Socket>()

  constructor(options: ResolvedNsca) {
    this.#o = options
    this.target = `${options.host.includes(':') ? `[${options.host}]` : options.host}:${options.port}`
    this.concurrency = options.concurrency
    // Before 2.9 the daemon reads one fixed-size packet per connection and tells sizes apart only by where the data ends.
    this.batchSize = options.legacy ? 1 : options.packetsPerConnection
    this.#password = new TextEncoder().encode(options.password)
  }

  send(results: readonly CheckResult[]): Promise<void> {
    const o = this.#o
    return new Promise<void>((resolve, reject) => {
      const socket = net.connect({ host: o.host, port: o.port })
      this.#sockets.add(socket)
      let init: Uint8Array | null = null
      let received: Buffer = Buffer.alloc(0)
      let wrote = false
      let ended = false
      let settled = false
      const finish = (err: DeliveryFailure | null): void => {
        if (settled) return
        settled = true
        clearTimeout(timer)
        this.#sockets.delete(socket)
        socket.destroy()
        if (err) reject(err)
        else resolve()
      }
      const fail = (code: string, detail: string): void => {
        const what = WHAT[code] ?? detail
        // Once the daemon has sent its init packet it was reached: a cut-off after that is its verdict on what we sent.
        const rejected = init !== null && code !== 'ETIMEDOUT'
        const hint = rejected ? '; if this repeats, check that password and encryption match decryption_method in nsca.cfg' : ''
        finish(new DeliveryFailure(code, `cannot send to the NSCA daemon at ${this.target}: ${what} (${code})${hint}`, 0, rejected))
      }
      const timer = setTimeout(() => fail('ETIMEDOUT', 'timed out'), o.timeout)
      socket.on('error', (err) => fail(errorCode(err), errorText(err)))
      socket.on('data', (chunk: Buffer) => {
        if (init !== null) return
        received = received.length === 0 ? chunk : Buffer.concat([received, chunk])
        if (received.length < INIT_PACKET_BYTES) return
        init = received.subarray(0, INIT_PACKET_BYTES)
        const ip = decodeInitPacket(init)
        const outputMax = (o.legacy ? LEGACY_OUTPUT_FIELD_BYTES : OUTPUT_FIELD_BYTES) - 1
        const packets = results.map((r) =>
          encodePacket(
            {
              host: cutBytes(r.host, HOST_FIELD_BYTES - 1),
              service: r.service === null ? '' : cutBytes(r.service, SERVICE_FIELD_BYTES - 1),
              returnCode: r.code,
              output: fitOutput(r, outputMax),
            },
            ip,
            o.encryption,
            this.#password,
            o.legacy,
          ),
        )
        socket.end(Buffer.concat(packets), () => {
          wrote = true
          if (ended) finish(null)
        })
      })
      socket.on('end', () => {
        // The daemon closes once it has read every packet up to our FIN; earlier only after a bad packet,
        // in which case the rest of our data makes its kernel answer with a reset (an 'error' here).
        if (init === null) return fail('ECONNRESET', 'closed before sending its init packet')
        ended = true
        if (wrote) finish(null)
      })
      socket.on('close', () => {
        if (init === null) fail('ECONNRESET', 'closed before sending its init packet')
        else if (wrote && ended) finish(null)
        else fail('EPIPE', 'closed before taking every packet')
      })
    })
  }

  async close(): Promise<void> {
    for (const s of this.#sockets) s.destroy()
    this.#sockets.clear()
  }
}
