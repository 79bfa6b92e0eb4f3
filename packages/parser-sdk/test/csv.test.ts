import { test } from 'node:test'
import assert from 'node:assert/strict'
import { splitCsv } from '../src/csv.ts'

test('splits on commas and keeps empty fields', () => {
  assert.deepEqual([...splitCsv('a,,c,')], ['a', '', 'c', ''])
  assert.deepEqual([...splitCsv('')], [''])
})

test('keeps commas inside quoted fields', () => {
  assert.deepEqual([...splitCsv('1,"deny, then log",3')], ['1', 'deny, then log', '3'])
})

test('reads "" inside quotes as one quote, and "" alone as an empty field', () => {
  assert.deepEqual([...splitCsv('a,"say ""hi""",b')], ['a', 'say "hi"', 'b'])
  assert.deepEqual([...splitCsv('a,"",b')], ['a', '', 'b'])
})

test('keeps a newline inside quotes', () => {
  assert.deepEqual([...splitCsv('"line one\nline two",x')], ['line one\nline two', 'x'])
})

test('flags a quote left open and runs it to the end of the line', () => {
  const fields = splitCsv('a,"b,c')
  assert.deepEqual([...fields], ['a', 'b,c'])
  assert.equal(fields.open, true)
  assert.equal(splitCsv('a,"b",c').open, undefined)
})

test('keeps a quote inside an unquoted field, and text after a closing quote', () => {
  assert.deepEqual([...splitCsv('5"x,"a"b,c')], ['5"x', 'ab', 'c'])
})

test('splits on another separator', () => {
  assert.deepEqual([...splitCsv('a|"b|c"|d', '|')], ['a', 'b|c', 'd'])
  assert.deepEqual([...splitCsv('a::b::"c::d"', '::')], ['a', 'b', 'c::d'])
})
