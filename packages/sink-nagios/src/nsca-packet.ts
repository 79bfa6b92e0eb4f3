// The NSCA wire format, from nsca's include/common.h and src/utils.c (2.9 and later; Debian ships
// 2.10.2). Written here rather than taken from a library: it is two fixed-layout structs, a CRC and
// an XOR, and no maintained npm package implements the 2.9 packet.
//
//   init_packet (server → client, on connect):  char iv[128]; u_int32_t timestamp;          = 132 bytes
//   data_packet (client → server, per result):  int16_t packet_version;   // offset 0, = 3
//                                               /* 2 bytes of alignment padding */
//                                               u_int32_t crc32_value;    // offset 4
//                                               u_int32_t timestamp;      // offset 8
//                                               int16_t return_code;      // offset 12
//                                               char host_name[64];       // offset 14
//                                               char svc_description[128];// offset 78
//                                               char plugin_output[4096]; // offset 206 (512 before 2.9)
//                                               /* 2 bytes of padding to a multiple of 4 */
//                                                                          = 4304 bytes (720 before 2.9)
// Integers are in network byte order. Strings are NUL-terminated; the daemon reads at most the
// field size less one byte. send_nsca fills the unused bytes with random alphanumerics so that XOR
// "encryption" leaks less, and so does encodePacket.

export const INIT_PACKET_BYTES = 132
export const IV_BYTES = 128
export const NSCA_PACKET_VERSION = 3
export const HOST_FIELD_BYTES = 64
export const SERVICE_FIELD_BYTES = 128
export const OUTPUT_FIELD_BYTES = 4096
export const LEGACY_OUTPUT_FIELD_BYTES = 512
export const PACKET_BYTES = 4304
export const LEGACY_PACKET_BYTES = 720

const OFFSET_VERSION = 0
const OFFSET_CRC = 4
const OFFSET_TIMESTAMP = 8
const OFFSET_RETURN_CODE = 12
const OFFSET_HOST = 14
const OFFSET_SERVICE = 78
const OFFSET_OUTPUT = 206

let table: Uint32Array | undefined

/**
 * CRC-32 as nsca's calculate_crc32 computes it: polynomial 0xEDB88320 (reflected), initial value
 * 0xFFFFFFFF, final XOR 0xFFFFFFFF; the same CRC as zlib's and Ethernet's.
 */
export function crc32(data: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256)
    for (let n = 0; n < 256; n++) {
      let c = n
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
      table[n] = c >>> 0
    }
  }
  let crc = 0xffffffff
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

export interface InitPacket {
  iv: Uint8Array
  /** The server's clock, in seconds since the epoch: send_nsca stamps its packets with it, so clock skew does not age them. */
  timestamp: number
}

export function decodeInitPacket(data: Uint8Array): InitPacket {
  const view = new DataView(data.buffer, data.byteOffset, data.byteLength)
  return { iv: data.slice(0, IV_BYTES), timestamp: view.getUint32(IV_BYTES) }
}

export type Encryption = 'none' | 'xor'

/**
 * ENCRYPT_XOR in nsca's encrypt_buffer: every byte XORed with the IV, repeated, then with the
 * password, repeated. Its own inverse.
 */
export function xorBuffer(buf: Uint8Array, iv: Uint8Array, password: Uint8Array): void {
  for (let i = 0; i < buf.length; i++) buf[i] = buf[i]! ^ iv[i % IV_BYTES]!
  if (password.length === 0) return
  for (let i = 0; i < buf.length; i++) buf[i] = buf[i]! ^ password[i % password.length]!
}

export interface PacketFields {
  host: string
  /** '' for a host check result. */
  service: string
  returnCode: number
  /** At most the field size less one byte; the caller cuts it (fitOutput). */
  output: string
}

const encoder = new TextEncoder()

function fillRandomAlnum(buf: Uint8Array): void {
  crypto.getRandomValues(buf)
  // randomize_buffer in nsca's utils.c: characters '0' to 'w', like plugin output.
  for (let i = 0; i < buf.length; i++) buf[i] = 0x30 + (buf[i]! % 72)
}

function putString(buf: Uint8Array, offset: number, size: number, value: string): void {
  const bytes = encoder.encode(value)
  const n = Math.min(bytes.length, size - 1)
  buf.set(bytes.subarray(0, n), offset)
  buf[offset + n] = 0
}

/** One data packet, CRC set and encrypted, as send_nsca builds it. */
export function encodePacket(
  fields: PacketFields,
  init: InitPacket,
  encryption: Encryption,
  password: Uint8Array,
  legacy = false,
): Uint8Array {
  const size = legacy ? LEGACY_PACKET_BYTES : PACKET_BYTES
  const buf = new Uint8Array(size)
  fillRandomAlnum(buf)
  const view = new DataView(buf.buffer)
  view.setInt16(OFFSET_VERSION, NSCA_PACKET_VERSION)
  view.setUint32(OFFSET_CRC, 0)
  view.setUint32(OFFSET_TIMESTAMP, init.timestamp)
  view.setInt16(OFFSET_RETURN_CODE, fields.returnCode)
  putString(buf, OFFSET_HOST, HOST_FIELD_BYTES, fields.host)
  putString(buf, OFFSET_SERVICE, SERVICE_FIELD_BYTES, fields.service)
  putString(buf, OFFSET_OUTPUT, legacy ? LEGACY_OUTPUT_FIELD_BYTES : OUTPUT_FIELD_BYTES, fields.output)
  view.setUint32(OFFSET_CRC, crc32(buf))
  if (encryption === 'xor') xorBuffer(buf, init.iv, password)
  return buf
}

function getString(buf: Uint8Array, offset: number, size: number): string {
  const field = buf.subarray(offset, offset + size - 1)
  const end = field.indexOf(0)
  return new TextDecoder().decode(end === -1 ? field : field.subarray(0, end))
}

/**
 * Reads a data packet as the NSCA daemon does (decrypt, version, CRC). Used by the tests to check
 * packets against send_nsca's; the sink itself only sends.
 */
export function decodePacket(
  data: Uint8Array,
  init: InitPacket,
  encryption: Encryption,
  password: Uint8Array,
): PacketFields & { version: number; timestamp: number; crcValid: boolean } {
  const buf = data.slice()
  if (encryption === 'xor') xorBuffer(buf, init.iv, password)
  const view = new DataView(buf.buffer)
  const crc = view.getUint32(OFFSET_CRC)
  view.setUint32(OFFSET_CRC, 0)
  const legacy = buf.length === LEGACY_PACKET_BYTES
  return {
    version: view.getInt16(OFFSET_VERSION),
    timestamp: view.getUint32(OFFSET_TIMESTAMP),
    returnCode: view.getInt16(OFFSET_RETURN_CODE),
    host: getString(buf, OFFSET_HOST, HOST_FIELD_BYTES),
    service: getString(buf, OFFSET_SERVICE, SERVICE_FIELD_BYTES),
    output: getString(buf, OFFSET_OUTPUT, legacy ? LEGACY_OUTPUT_FIELD_BYTES : OUTPUT_FIELD_BYTES),
    crcValid: crc32(buf) === crc,
  }
}
