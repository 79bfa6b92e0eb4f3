import * as zlib from 'node:zlib'

let table: Uint32Array | undefined

/** CRC-32 (IEEE 802.3, as zlib and gzip compute it) in plain JavaScript, for runtimes whose zlib lacks crc32. */
function crc32js(data: Uint8Array, value = 0): number {
  if (!table) {
    table = new Uint32Array(256)
    for (let n = 0; n < 256; n++) {
      let c = n
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1
      table[n] = c >>> 0
    }
  }
  let crc = (value ^ 0xffffffff) >>> 0
  for (let i = 0; i < data.length; i++) crc = table[(crc ^ data[i]!) & 0xff]! ^ (crc >>> 8)
  return (crc ^ 0xffffffff) >>> 0
}

/** zlib.crc32 is in Node 20.15+ and 22.2+; Bun and Deno may not have it yet. */
export const crc32: (data: Uint8Array, value?: number) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function' ? (data, value) => zlib.crc32(data, value) : crc32js

export { crc32js }
