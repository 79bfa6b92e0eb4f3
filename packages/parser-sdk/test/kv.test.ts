import { test } from 'node:test'
import assert from 'node:assert/strict'
import { parseKv } from '../src/kv.ts'

test('reads plain, quoted and empty values', () => {
  assert.deepEqual({ ...parseKv('a=1 b="two words" c= d=4') }, { a: '1', b: 'two words', c: '', d: '4' })
})

test('keeps separators inside quotes', () => {
  assert.deepEqual({ ...parseKv('msg="a=b c" x=1') }, { msg: 'a=b c', x: '1' })
})

test('reads \\" inside quotes as a quote, and \\\\" as the end of the value', () => {
  assert.deepEqual({ ...parseKv('msg="say \\"hi\\"" x=1') }, { msg: 'say "hi"', x: '1' })
  assert.deepEqual({ ...parseKv('path="C:\\\\" x=1') }, { path: 'C:\\\\', x: '1' })
})

test('runs an unterminated quote to the end', () => {
  assert.deepEqual({ ...parseKv('a=1 msg="open x=2') }, { a: '1', msg: 'open x=2' })
})

test('skips words without a separator and keeps the first of a repeated key', () => {
  assert.deepEqual({ ...parseKv('hello a=1 world a=2 b=3') }, { a: '1', b: '3' })
})

test('skips keys that could reach a prototype, and returns a null-prototype object', () => {
  const kv = parseKv('__proto__=x constructor=y prototype=z ok=1')
  assert.equal(Object.getPrototypeOf(kv), null)
  assert.deepEqual(Object.keys(kv), ['ok'])
  assert.equal(({} as Record<string, unknown>).x, undefined)
})

test('takes other separators', () => {
  assert.deepEqual({ ...parseKv('a:1;b:"x;y"', { pairSeparator: ';', kvSeparator: ':' }) }, { a: '1', b: 'x;y' })
})
