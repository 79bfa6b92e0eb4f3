/**
 * A least-recently-used cache of at most `max` entries: a Map from key to slot, and the slots in
 * a doubly linked list kept in typed arrays, so a hit costs one Map lookup and a few array writes
 * (re-inserting into the Map, the usual one-line LRU, costs three hash operations per hit).
 */
export class Lru<K extends string | number, V> {
  readonly max: number
  readonly #slots = new Map<K, number>()
  readonly #keys: K[]
  readonly #values: (V | undefined)[]
  readonly #prev: Int32Array
  readonly #next: Int32Array
  /** Most recently used slot, or -1. */
  #head = -1
  /** Least recently used slot, or -1. */
  #tail = -1
  #used = 0

  constructor(max: number) {
    this.max = max
    this.#keys = new Array<K>(max)
    this.#values = new Array<V | undefined>(max)
    this.#prev = new Int32Array(max)
    this.#next = new Int32Array(max)
  }

  get size(): number {
    return this.#used
  }

  get(key: K): V | undefined {
    const slot = this.#slots.get(key)
    if (slot === undefined) return undefined
    if (slot !== this.#head) {
      this.#unlink(slot)
      this.#pushFront(slot)
    }
    return this.#values[slot]
  }

  set(key: K, value: V): void {
    if (this.max === 0) return
    let slot = this.#slots.get(key)
    if (slot !== undefined) {
      this.#values[slot] = value
      if (slot !== this.#head) {
        this.#unlink(slot)
        this.#pushFront(slot)
      }
      return
    }
    if (this.#used < this.max) {
      slot = this.#used++
    } else {
      slot = this.#tail
      this.#slots.delete(this.#keys[slot]!)
      this.#unlink(slot)
    }
    this.#keys[slot] = key
    this.#values[slot] = value
    this.#slots.set(key, slot)
    this.#pushFront(slot)
  }

  clear(): void {
    this.#slots.clear()
    this.#keys.fill(undefined as unknown as K)
    this.#values.fill(undefined)
    this.#head = this.#tail = -1
    this.#used = 0
  }

  #unlink(slot: number): void {
    const p = this.#prev[slot]!
    const n = this.#next[slot]!
    if (p >= 0) this.#next[p] = n
    else this.#head = n
    if (n >= 0) this.#prev[n] = p
    else this.#tail = p
  }

  #pushFront(slot: number): void {
    this.#prev[slot] = -1
    this.#next[slot] = this.#head
    if (this.#head >= 0) this.#prev[this.#head] = slot
    this.#head = slot
    if (this.#tail < 0) this.#tail = slot
  }
}
