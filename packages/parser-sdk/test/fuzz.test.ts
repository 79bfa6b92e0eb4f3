import { test } from 'node:test'
import assert from 'node:assert/strict'
import { checkFuzz, formatFuzz, fuzzParser, prototypeKey, seededRandom } from '../src/testing/index.ts'
import type { CreateParser, FuzzOptions } from '../src/testing/index.ts'
import type { SyslogMessage } from '../src/index.ts'

const fixtures = new URL('./fixtures/tiny/', import.meta.url)
const HEAD = '<134>Mar  5 10:15:30 host1 tiny: '
const SIZES: [number, number] = [1024, 4096]
const adversarial = (size: number) => [HEAD + 'op=login user=' + 'a'.repeat(size), { name: 'spaces', line: HEAD + ' '.repeat(size) }]

/** A parser of `op=` lines; `parse` is the part each test breaks. */
function parserWith(parse: (text: string) => unknown, isMine = (text: string) => text.startsWith('op=')): CreateParser<unknown> {
  return () => ({
    isMine: (msg: SyslogMessage) => isMine(msg.message),
    parse: (msg: SyslogMessage) => parse(msg.message) as never,
  })
}

const plain = (text: string) => ({ message: text, words: text.split(' ').length })
const options = (create: CreateParser<unknown>, more: Partial<FuzzOptions> = {}): FuzzOptions => ({
  create,
  fixtures,
  adversarial,
  sizes: SIZES,
  perLine: 10,
  ...more,
})

test('passes a parser that survives every mutation, keeps prototype keys out and parses in linear time', async () => {
  const r = await checkFuzz(options(parserWith(plain)))
  assert.equal(formatFuzz(r), '')
  assert.equal(r.mutated, 30)
  assert.ok(r.claimed > 0 && r.claimed <= r.mutated)
  assert.equal(r.timings.length, 2)
  assert.ok(r.timings.every((t) => !t.slow))
})

test('catches a parse that throws, and says on which mutation', async () => {
  const r = await checkFuzz(
    options(
      parserWith((text) => {
        if (text.includes('\u0000')) throw new Error('NUL')
        return plain(text)
      }),
    ),
    ['mutations', 'cuts', 'adversarial'],
  )
  assert.ok(r.failures.length > 0)
  assert.ok(r.failures.every((f) => f.part === 'mutations' && f.message === 'parse threw: NUL'))
  assert.match(formatFuzz(r), /^mutations: a mutation of "<134>.*\(.*NUL.*\): parse threw: NUL/)
})

test('catches an isMine that throws when given the logic before the guard', async () => {
  const raw = (msg: SyslogMessage) => {
    if (msg.message.length > 10000) throw new Error('too long')
    return msg.message.startsWith('op=')
  }
  const r = await checkFuzz({ ...options(parserWith(plain)), isMine: raw }, ['adversarial', 'mutations'])
  assert.ok(r.failures.some((f) => f.part === 'mutations' && f.message === 'isMine threw: too long'))
})

test('catches an event with a __proto__, constructor or prototype own key, and one of another class', async () => {
  const leaky = parserWith((text) => (text.includes('user=bob') ? JSON.parse('{"user":{"__proto__":{"admin":true}}}') : plain(text)))
  const r = await checkFuzz({ ...options(leaky), cut: ['user=bob'] }, ['cuts'])
  assert.ok(r.failures.some((f) => f.message === 'the event has a prototype key: .user.__proto__'))
  assert.equal(prototypeKey({ a: [{ constructor: 1 }] }), '.a.0.constructor')
  assert.equal(prototypeKey({ a: new Map() }), '.a is not a plain object or array')
  assert.equal(prototypeKey({ [Symbol('s')]: 1 }), '.Symbol(s)')
  assert.equal(prototypeKey({ a: [1, { b: 'prototype' }] }), undefined)
})

test("catches a claimed line without an event, and one that reached the parser's own catch", async () => {
  const r = await checkFuzz(
    { ...options(parserWith((text) => (text.length > 5000 ? { error: { message: 'tiny parser failed: x' } } : text.length > 3000 ? null : plain(text)))), caught: 'tiny parser failed' },
    ['adversarial'],
  )
  assert.deepEqual(
    r.failures.map((f) => `${f.what}: ${f.message}`),
    [`${JSON.stringify((adversarial(4096)[0] as string).slice(0, 60))}… (large): parse gave no event for a line isMine claimed`],
  )
  const big = await checkFuzz({ ...options(parserWith((text) => (text.length > 3000 ? { error: { message: 'tiny parser failed: x' } } : plain(text)))), caught: 'tiny parser failed' }, ['adversarial'])
  assert.match(formatFuzz(big), /parse fell back on its own catch: tiny parser failed: x/)
})

test('catches adversarial lines claimed at one length only, or not claimed when they must be', async () => {
  const r = await checkFuzz(options(parserWith(plain, (text) => text.startsWith('op=') && text.length < 3000)), ['adversarial'])
  assert.match(formatFuzz(r), /claimed at one length and not at the other/)
  const must = await checkFuzz({ ...options(parserWith(plain)), claimsAdversarial: true }, ['adversarial'])
  assert.match(formatFuzz(must), /spaces: the adversarial line is not claimed/)
})

test('catches a quadratic regular expression, and confirms it at four times the length', async () => {
  const quadratic = parserWith((text) => ({ ...plain(text), b: /a*b/.test(text) }))
  const r = await checkFuzz(options(quadratic), ['timing'])
  const slow = r.timings.find((t) => t.slow)
  assert.ok(slow, formatFuzz(r))
  assert.ok(slow.ratio >= 8 && (slow.huge === undefined || slow.huge >= 8), JSON.stringify(slow))
  assert.match(formatFuzz(r), /timing: .*parse time grew .* for a line 4× longer/)
  assert.ok(!r.timings.find((t) => t.name === 'spaces')?.slow)
})

test('reports cut lines it cannot find', async () => {
  const r = await checkFuzz({ ...options(parserWith(plain)), cut: ['user=alice', 'no such text'] }, ['cuts'])
  assert.equal(formatFuzz(r), 'cuts: the fixtures: no fixture line contains "no such text"')
})

test('mutates the same way for the same seed', () => {
  const a = seededRandom(7)
  const b = seededRandom(7)
  assert.deepEqual([a(), a(), a()], [b(), b(), b()])
})

// The node:test wrapper, on the well-behaved parser.
fuzzParser({ ...options(parserWith(plain)), name: 'tiny' })
