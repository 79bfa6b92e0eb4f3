// A small writer of MaxMind DB files (format 2.0, https://maxmind.github.io/MaxMind-DB/), for
// tests that need records shaped like MaxMind's own GeoIP2 City and GeoLite2 ASN databases, and
// files with a chosen build time. No database of those shapes is published on npm; the tests read
// what this writes through the `maxmind` package, as any real file.
import { isIP } from 'node:net'

export type MmdbValue = string | number | boolean | MmdbValue[] | { [key: string]: MmdbValue }

export interface MmdbNetwork {
  /** `192.0.2.0/24`, `2001:db8::/32`. Inserted in order: give wider networks before narrower ones. */
  cidr: string
  data: MmdbValue
}

export interface MmdbOptions {
  ipVersion: 4 | 6
  databaseType: string
  /** Seconds since the epoch. */
  buildEpoch: number
  networks: MmdbNetwork[]
  languages?: string[]
}

const MARKER = Buffer.from('abcdef4d61784d696e642e636f6d', 'hex')

function bitsOf(cidr: string, ipVersion: 4 | 6): { bits: number[]; length: number } {
  const [addr, len] = cidr.split('/') as [string, string | undefined]
  const family = isIP(addr)
  if (family === 0) throw new Error(`bad network ${cidr}`)
  let bytes: number[]
  let prefix = Number(len ?? (family === 4 ? 32 : 128))
  if (family === 4) {
    bytes = addr.split('.').map(Number)
    if (ipVersion === 6) {
      // IPv4 networks live under ::/96 in an IPv6 tree (the MaxMind DB spec, "IPv4 addresses in an IPv6 tree").
      bytes = [...new Array(12).fill(0), ...bytes]
      prefix += 96
    }
  } else {
    if (ipVersion === 4) throw new Error(`${cidr} in an IPv4 database`)
    const [head, tail] = addr.split('::') as [string, string | undefined]
    const h = head ? head.split(':') : []
    const t = tail ? tail.split(':') : []
    const groups = [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t].map((g) => parseInt(g, 16))
    bytes = groups.flatMap((g) => [g >> 8, g & 255])
  }
  const bits: number[] = []
  for (let i = 0; i < prefix; i++) bits.push((bytes[i >> 3]! >> (7 - (i & 7))) & 1)
  return { bits, length: prefix }
}

// Data section encoding (spec: "Output Data Section").
function control(type: number, size: number): Buffer {
  const parts: number[] = []
  let sizeBits: number
  const extra: number[] = []
  if (size < 29) sizeBits = size
  else if (size < 285) {
    sizeBits = 29
    extra.push(size - 29)
  } else if (size < 65_821) {
    sizeBits = 30
    const s = size - 285
    extra.push(s >> 8, s & 255)
  } else {
    sizeBits = 31
    const s = size - 65_821
    extra.push((s >> 16) & 255, (s >> 8) & 255, s & 255)
  }
  if (type <= 7) parts.push((type << 5) | sizeBits)
  else parts.push(sizeBits, type - 7)
  return Buffer.from([...parts, ...extra])
}

function uintBytes(n: number): Buffer {
  const out: number[] = []
  let v = BigInt(n)
  while (v > 0n) {
    out.unshift(Number(v & 255n))
    v >>= 8n
  }
  return Buffer.from(out)
}

function encode(v: MmdbValue): Buffer {
  if (typeof v === 'string') {
    const b = Buffer.from(v, 'utf8')
    return Buffer.concat([control(2, b.length), b])
  }
  if (typeof v === 'boolean') return control(14, v ? 1 : 0)
  if (typeof v === 'number') {
    if (Number.isInteger(v) && v >= 0) {
      const b = uintBytes(v)
      const type = v <= 0xffff ? 5 : v <= 0xffffffff ? 6 : 9
      return Buffer.concat([control(type, b.length), b])
    }
    const b = Buffer.alloc(8)
    b.writeDoubleBE(v)
    return Buffer.concat([control(3, 8), b])
  }
  if (Array.isArray(v)) return Buffer.concat([control(11, v.length), ...v.map(encode)])
  const keys = Object.keys(v)
  return Buffer.concat([control(7, keys.length), ...keys.flatMap((k) => [encode(k), encode(v[k]!)])])
}

interface Node {
  children: [Node | number | null, Node | number | null]
  index?: number
}

/** The bytes of a MaxMind DB file holding `networks`, with 24-bit records. */
export function writeMmdb(o: MmdbOptions): Buffer {
  // Data section: each distinct value once.
  const offsets = new Map<string, number>()
  const chunks: Buffer[] = []
  let dataSize = 0
  const dataRef = (v: MmdbValue): number => {
    const key = JSON.stringify(v)
    let off = offsets.get(key)
    if (off === undefined) {
      const b = encode(v)
      off = dataSize
      offsets.set(key, off)
      chunks.push(b)
      dataSize += b.length
    }
    return off
  }

  // Leaves hold -(offset + 1) while building, so data and "no data" (null) are told apart from nodes.
  const root: Node = { children: [null, null] }
  for (const net of o.networks) {
    const { bits, length } = bitsOf(net.cidr, o.ipVersion)
    const leaf = -(dataRef(net.data) + 1)
    let node = root
    for (let i = 0; i < length - 1; i++) {
      const b = bits[i]!
      const child = node.children[b]
      if (child !== null && typeof child === 'object') {
        node = child
        continue
      }
      // A wider network's data, or nothing, is pushed down to both halves of the new node.
      const next: Node = { children: [child, child] }
      node.children[b] = next
      node = next
    }
    node.children[bits[length - 1]!] = leaf
  }

  const nodes: Node[] = []
  const number = (n: Node): void => {
    n.index = nodes.length
    nodes.push(n)
    for (const c of n.children) if (c !== null && typeof c === 'object') number(c)
  }
  number(root)
  const nodeCount = nodes.length
  const tree = Buffer.alloc(nodeCount * 6)
  nodes.forEach((n, i) => {
    n.children.forEach((c, side) => {
      let value: number
      if (c === null) value = nodeCount
      else if (typeof c === 'object') value = c.index!
      else value = nodeCount + 16 + (-c - 1)
      tree.writeUIntBE(value, i * 6 + side * 3, 3)
    })
  })
  const metadata = encode({
    node_count: nodeCount,
    record_size: 24,
    ip_version: o.ipVersion,
    database_type: o.databaseType,
    languages: o.languages ?? ['en'],
    binary_format_major_version: 2,
    binary_format_minor_version: 0,
    build_epoch: o.buildEpoch,
    description: { en: `${o.databaseType} test database` },
  })
  return Buffer.concat([tree, Buffer.alloc(16), ...chunks, MARKER, metadata])
}
