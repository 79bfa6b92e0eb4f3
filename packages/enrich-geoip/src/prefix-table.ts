/**
 * Longest-prefix match over IPv4 and IPv6 networks: one binary trie per family, one level per
 * address bit, its nodes in typed arrays. A lookup walks at most 32 (IPv4) or 128 (IPv6) nodes and
 * stops at the first missing branch, remembering the deepest network passed, so an address outside
 * every network usually ends within a few steps whatever the size of the table.
 */
export class PrefixTable {
  #v4 = new Trie()
  #v6 = new Trie()
  #size = 0

  /** Networks in the table. */
  get size(): number {
    return this.#size
  }

  /**
   * Adds a network; `value` is a non-negative integer given back by lookups. Returns the value
   * already stored for exactly this network instead of replacing it, or -1 once added.
   */
  insert(family: 4 | 6, words: Uint32Array, bits: number, value: number): number {
    const previous = (family === 4 ? this.#v4 : this.#v6).insert(words, bits, value)
    if (previous < 0) this.#size++
    return previous
  }

  /** The value of the longest network holding an IPv4 address, or -1. */
  lookup4(addr: number): number {
    const t = this.#v4
    const zero = t.zero
    const one = t.one
    const value = t.value
    let best = value[0]!
    let node = 0
    for (let bit = 31; bit >= 0; bit--) {
      node = ((addr >>> bit) & 1) === 0 ? zero[node]! : one[node]!
      if (node === 0) return best
      const v = value[node]!
      if (v >= 0) best = v
    }
    return best
  }

  /** The value of the longest network holding an IPv6 address (four words), or -1. */
  lookup6(words: Uint32Array): number {
    const t = this.#v6
    const zero = t.zero
    const one = t.one
    const value = t.value
    let best = value[0]!
    let node = 0
    for (let w = 0; w < 4; w++) {
      const word = words[w]!
      for (let bit = 31; bit >= 0; bit--) {
        node = ((word >>> bit) & 1) === 0 ? zero[node]! : one[node]!
        if (node === 0) return best
        const v = value[node]!
        if (v >= 0) best = v
      }
    }
    return best
  }
}

/** Node 0 is the root; a child index of 0 means "no child", since the root is nobody's child. */
class Trie {
  zero: Int32Array = new Int32Array(64)
  one: Int32Array = new Int32Array(64)
  value: Int32Array = new Int32Array(64).fill(-1)
  nodes = 1

  insert(words: Uint32Array, bits: number, v: number): number {
    let node = 0
    for (let i = 0; i < bits; i++) {
      const bit = (words[i >>> 5]! >>> (31 - (i & 31))) & 1
      const next = bit === 0 ? this.zero[node]! : this.one[node]!
      if (next !== 0) {
        node = next
        continue
      }
      const created = this.#newNode()
      if (bit === 0) this.zero[node] = created
      else this.one[node] = created
      node = created
    }
    const previous = this.value[node]!
    if (previous >= 0) return previous
    this.value[node] = v
    return -1
  }

  #newNode(): number {
    if (this.nodes === this.zero.length) {
      const size = this.zero.length * 2
      const grow = (a: Int32Array, fill: number): Int32Array => {
        const b = new Int32Array(size).fill(fill)
        b.set(a)
        return b
      }
      this.zero = grow(this.zero, 0)
      this.one = grow(this.one, 0)
      this.value = grow(this.value, -1)
    }
    return this.nodes++
  }
}
