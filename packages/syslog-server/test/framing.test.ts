import { test } from 'node:test'
import assert from 'node:assert/strict'
import { Framer } from '../src/framing.ts'
import type { FramerOptions } from '../src/framing.ts'

function collect(options: Partial<FramerOptions> = {}) {
  const frames: { text: string; truncated: boolean }[] = []
  const drops: string[] = []
  const errors: string[] = []
  const framer = new Framer(
    { maxMessageSize: 65536, oversize: 'truncate', ...options },
    {
      frame: (text, truncated) => frames.push({ text, truncated }),
      drop: (r) => drops.push(r),
      error: (c) => errors.push(c),
    },
  )
  return { framer, frames, drops, errors, texts: () => frames.map((f) => f.text) }
}

/** Feeds `bytes` in every possible two-piece split, and byte by byte: framing must not depend on chunking. */
function everySplit(bytes: Buffer, options: Partial<FramerOptions> = {}): string[][] {
  const results: string[][] = []
  for (let cut = 0; cut <= bytes.length; cut++) {
    const c = collect(options)
    c.framer.push(bytes.subarray(0, cut))
    c.framer.push(bytes.subarray(cut))
    c.framer.end()
    results.push(c.texts())
  }
  const one = collect(options)
  for (let i = 0; i < bytes.length; i++) one.framer.push(bytes.subarray(i, i + 1))
  one.framer.end()
  results.push(one.texts())
  return results
}

test('splits LF-terminated frames and strips a CR before the LF', () => {
  const c = collect()
  c.framer.push(Buffer.from('<13>one\n<13>two\r\n<13>three\n'))
  assert.deepEqual(c.texts(), ['<13>one', '<13>two', '<13>three'])
})

test('reads octet-counted frames whatever the chunk boundaries', () => {
  const msgs = ['<13>1 - - - - - - hello', '<14>1 - - - - - - wörld ünïcode', '<15>1 - - - - - - x']
  const bytes = Buffer.concat(msgs.map((m) => Buffer.from(`${Buffer.byteLength(m)} ${m}`)))
  for (const r of everySplit(bytes)) assert.deepEqual(r, msgs)
})

test('keeps multi-byte characters whole across chunk boundaries in LF framing', () => {
  const msgs = ['<13>grüße', '<13>日本語のメッセージ', '<13>emoji 🍺 beer']
  const bytes = Buffer.from(msgs.join('\n') + '\n')
  for (const r of everySplit(bytes)) assert.deepEqual(r, msgs)
})

test('accepts NUL as the frame trailer', () => {
  const c = collect()
  c.framer.push(Buffer.from('<13>one\0<13>two\0'))
  assert.deepEqual(c.texts(), ['<13>one', '<13>two'])
})

test('emits the last unterminated line when the connection ends', () => {
  const c = collect()
  c.framer.push(Buffer.from('<13>one\n<13>no newline at the end'))
  c.framer.end()
  assert.deepEqual(c.texts(), ['<13>one', '<13>no newline at the end'])
})

test('drops and counts an unfinished octet-counted frame when the connection ends', () => {
  const c = collect()
  c.framer.push(Buffer.from('100 <13>short'))
  c.framer.end()
  assert.deepEqual(c.texts(), [])
  assert.deepEqual(c.drops, ['incomplete_frame'])
})

test('truncates an oversized line and marks it, then reads the next frame', () => {
  const c = collect({ maxMessageSize: 16 })
  c.framer.push(Buffer.from('<13>' + 'a'.repeat(40)))
  c.framer.push(Buffer.from('b'.repeat(40) + '\n<13>next\n'))
  assert.deepEqual(c.frames, [
    { text: '<13>' + 'a'.repeat(12), truncated: true },
    { text: '<13>next', truncated: false },
  ])
})

test('drops an oversized line when told to, without buffering it, and reads the next frame', () => {
  const c = collect({ maxMessageSize: 16, oversize: 'drop' })
  c.framer.push(Buffer.from('<13>' + 'a'.repeat(40)))
  assert.ok(c.framer.buffered <= 16)
  c.framer.push(Buffer.from('b'.repeat(40) + '\n<13>next\n'))
  assert.deepEqual(c.texts(), ['<13>next'])
  assert.deepEqual(c.drops, ['oversize'])
})

test('skips a huge declared octet count without buffering it', () => {
  const c = collect({ maxMessageSize: 1024, oversize: 'drop' })
  const huge = 10_000_000
  c.framer.push(Buffer.from(`${huge} <13>`))
  let sent = 4
  const block = Buffer.alloc(65536, 0x61)
  while (sent + block.length <= huge) {
    c.framer.push(block)
    sent += block.length
    assert.ok(c.framer.buffered < 2048, 'buffered stays bounded')
  }
  c.framer.push(Buffer.alloc(huge - sent, 0x61))
  c.framer.push(Buffer.from('8 <13>next'))
  assert.deepEqual(c.texts(), ['<13>next'])
  assert.deepEqual(c.drops, ['oversize'])
})

test('truncates an oversized octet-counted frame to the limit on a character boundary', () => {
  const c = collect({ maxMessageSize: 10 })
  const m = '<13>ééééééééé'
  c.framer.push(Buffer.from(`${Buffer.byteLength(m)} ${m}9 <13>after`))
  assert.equal(c.frames.length, 2)
  assert.equal(c.frames[0]!.truncated, true)
  assert.ok(Buffer.byteLength(c.frames[0]!.text) <= 10)
  assert.ok(!c.frames[0]!.text.includes('\uFFFD'), 'no character cut in half')
  assert.deepEqual(c.frames[1], { text: "<13>after", truncated: false })
})

test('resynchronises on the next LF when an octet-counted stream turns into lines', () => {
  const c = collect()
  c.framer.push(Buffer.from('8 <13>abcd<13>garbage line\n8 <13>efgh'))
  assert.deepEqual(c.texts(), ['<13>abcd', '<13>garbage line', '<13>efgh'])
  assert.deepEqual(c.errors, ['BEER_ERR_FRAMING_DESYNC'])
})

test('treats a line starting with digits but no space as non-transparent framing', () => {
  const c = collect()
  c.framer.push(Buffer.from('1,2026/11/27 10:00:00,001122334455,TRAFFIC,end\n'))
  assert.deepEqual(c.texts(), ['1,2026/11/27 10:00:00,001122334455,TRAFFIC,end'])
})

test('never holds more than one frame of memory on an endless line', () => {
  const c = collect({ maxMessageSize: 4096 })
  const block = Buffer.alloc(1000, 0x62)
  for (let i = 0; i < 2000; i++) {
    c.framer.push(block)
    assert.ok(c.framer.buffered <= 4096 + 1000)
  }
  c.framer.push(Buffer.from('\n<13>ok\n'))
  assert.equal(c.frames.length, 2)
  assert.equal(c.frames[0]!.truncated, true)
  assert.equal(c.frames[1]!.text, '<13>ok')
})

test('ignores empty lines between frames', () => {
  const c = collect()
  c.framer.push(Buffer.from('\n\n<13>a\n\r\n\n<13>b\n'))
  assert.deepEqual(c.texts(), ['<13>a', '<13>b'])
})

test('decides NUL framing on the first trailer seen, however the first chunk is cut', () => {
  const msgs = Array.from({ length: 5 }, (_, i) => `<13>Nov 27 10:00:00 host app: message ${i}`)
  const bytes = Buffer.from(msgs.join('\0') + '\0')
  for (const r of everySplit(bytes)) assert.deepEqual(r, msgs)
})

test('measures long lines in raw bytes, so invalid UTF-8 is not counted three times', () => {
  const c = collect({ maxMessageSize: 1000, oversize: 'drop' })
  const line = Buffer.concat([Buffer.from('<13>Nov 27 10:00:00 host app: '), Buffer.alloc(900, 0xff), Buffer.from('\n<13>next\n')])
  c.framer.push(Buffer.concat([Buffer.from('<13>first\n'), line]))
  assert.equal(c.frames.length, 3)
  assert.equal(c.frames[1]!.truncated, false)
  assert.equal(c.frames[2]!.text, '<13>next')
  assert.deepEqual(c.drops, [])
})

test('cuts a long line with invalid UTF-8 at the byte limit, in the middle of a chunk', () => {
  const c = collect({ maxMessageSize: 100 })
  c.framer.push(Buffer.concat([Buffer.from('<13>a\n<13>b\n'), Buffer.alloc(300, 0x61), Buffer.from('\n<13>c\n')]))
  assert.deepEqual(c.frames.map((f) => [f.text.length, f.truncated]), [[5, false], [5, false], [100, true], [5, false]])
})

test('counts a desync once however the rest of the line arrives', () => {
  const c = collect()
  c.framer.push(Buffer.from('5 <13>a'))
  c.framer.push(Buffer.from('garbage without lf'))
  for (let i = 0; i < 10; i++) c.framer.push(Buffer.from('x'))
  c.framer.push(Buffer.from('\n'))
  assert.deepEqual(c.errors, ['BEER_ERR_FRAMING_DESYNC'])
  assert.deepEqual(c.texts(), ['<13>a', 'garbage without lfxxxxxxxxxx'])
})

test('reads every frame of large chunks once NUL framing is chosen, LF trailers included', () => {
  const c = collect()
  c.framer.push(Buffer.from('<13>x\0'))
  const chunk = Buffer.from('a\n'.repeat(32768))
  for (let i = 0; i < 20; i++) c.framer.push(chunk)
  assert.equal(c.frames.length, 1 + 20 * 32768)
})
