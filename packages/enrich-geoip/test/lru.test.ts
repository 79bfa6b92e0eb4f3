import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Lru } from '../src/lru.ts'

describe('Lru', () => {
  it('evicts the least recently used entry, a get counting as a use', () => {
    const c = new Lru<string, number>(3)
    c.set('a', 1)
    c.set('b', 2)
    c.set('c', 3)
    assert.equal(c.get('a'), 1)
    c.set('d', 4)
    assert.equal(c.get('b'), undefined)
    assert.deepEqual([c.get('a'), c.get('c'), c.get('d')], [1, 3, 4])
    c.set('e', 5)
    assert.equal(c.get('a'), undefined)
    assert.equal(c.size, 3)
  })

  it('replaces the value of a key already held, and empties on clear', () => {
    const c = new Lru<string, string>(2)
    c.set('x', 'one')
    c.set('y', 'two')
    c.set('x', 'three')
    c.set('z', 'four')
    assert.equal(c.get('x'), 'three')
    assert.equal(c.get('y'), undefined)
    c.clear()
    assert.equal(c.size, 0)
    assert.equal(c.get('x'), undefined)
    c.set('w', 'five')
    assert.equal(c.get('w'), 'five')
  })

  it('holds nothing with a size of 0, and one entry with a size of 1', () => {
    const off = new Lru<string, number>(0)
    off.set('a', 1)
    assert.equal(off.get('a'), undefined)
    const one = new Lru<string, number>(1)
    one.set('a', 1)
    one.set('b', 2)
    assert.equal(one.get('a'), undefined)
    assert.equal(one.get('b'), 2)
  })

  it('matches a reference LRU over a random sequence', () => {
    const c = new Lru<string, number>(50)
    const ref = new Map<string, number>()
    let seed = 1
    for (let i = 0; i < 20_000; i++) {
      seed = (Math.imul(seed, 1664525) + 1013904223) >>> 0
      const key = `k${seed % 120}`
      if (seed & 1) {
        const want = ref.get(key)
        if (want !== undefined) {
          ref.delete(key)
          ref.set(key, want)
        }
        assert.equal(c.get(key), want)
      } else {
        ref.delete(key)
        ref.set(key, i)
        if (ref.size > 50) ref.delete(ref.keys().next().value!)
        c.set(key, i)
      }
    }
    assert.equal(c.size, ref.size)
  })
})
