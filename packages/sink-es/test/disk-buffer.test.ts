import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { appendFile, copyFile, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, describe, it } from 'node:test'
import { hasCode } from '@beer/core'
import { DiskBuffer } from '../src/disk-buffer.ts'
import { context } from './fixtures/es.ts'

const dirs: string[] = []
after(async () => {
  for (const d of dirs) await rm(d, { recursive: true, force: true })
})

async function tempDir(): Promise<string> {
  const d = await mkdtemp(path.join(tmpdir(), 'beer-es-buffer-'))
  dirs.push(d)
  return d
}

const rec = (n: number, size = 100): Buffer => Buffer.from(`${n}:`.padEnd(size, 'x'))

async function open(dir: string, segmentBytes = 1024, maxBytes = 1 << 20, ctx = context()): Promise<DiskBuffer> {
  return DiskBuffer.open({ path: dir, segmentBytes, maxBytes }, ctx.log, 'es')
}

describe('disk buffer', () => {
  it('reads records back in the order written, across segments, and deletes delivered segments', async () => {
    const dir = await tempDir()
    const b = await open(dir)
    for (let i = 0; i < 30; i++) await b.append(rec(i), 2)
    assert.equal(b.events, 60)
    assert.ok((await readdir(dir)).filter((f) => f.endsWith('.seg')).length > 1)
    for (let i = 0; i < 30; i++) {
      const r = await b.read()
      assert.ok(r)
      assert.equal(r.payload.toString().split(':')[0], String(i))
      assert.equal(r.count, 2)
      await b.ack(r.seq)
    }
    assert.equal(await b.read(), null)
    assert.equal(b.events, 0)
    assert.equal(b.bytes, 0)
    assert.deepEqual((await readdir(dir)).filter((f) => f.endsWith('.seg')), [])
    await b.close()
  })

  it('keeps undelivered records across a restart, and resends only from the cursor', async () => {
    const dir = await tempDir()
    const b = await open(dir)
    for (let i = 0; i < 10; i++) await b.append(rec(i), 1)
    const first = await b.read()
    const second = await b.read()
    await b.ack(first!.seq)
    // second was read but never acknowledged: sent again after the restart.
    void second
    await b.close()
    const again = await open(dir)
    assert.equal(again.events, 9)
    const seen: string[] = []
    for (let r = await again.read(); r; r = await again.read()) {
      seen.push(r.payload.toString().split(':')[0]!)
      await again.ack(r.seq)
    }
    assert.deepEqual(seen, ['1', '2', '3', '4', '5', '6', '7', '8', '9'])
    await again.close()
  })

  it('truncates a damaged tail with a warning and keeps every whole record before it', async () => {
    const dir = await tempDir()
    const b = await open(dir, 1 << 20)
    for (let i = 0; i < 5; i++) await b.append(rec(i), 1)
    await b.close()
    const seg = path.join(dir, (await readdir(dir)).find((f) => f.endsWith('.seg'))!)
    const whole = (await stat(seg)).size
    // A record cut off by a crash, then garbage.
    await appendFile(seg, Buffer.from([0x42, 0x45, 0x53, 0x31, 0xff, 0, 0, 0, 1, 0]))
    const ctx = context()
    const again = await open(dir, 1 << 20, 1 << 20, ctx)
    assert.equal(again.events, 5)
    assert.equal((await stat(seg)).size, whole)
    assert.ok(ctx.logged.some((l) => l.level === 'warn' && /damaged record/.test(l.message) && /truncating/.test(l.message)))
    let n = 0
    for (let r = await again.read(); r; r = await again.read()) {
      n++
      await again.ack(r.seq)
    }
    assert.equal(n, 5)
    await again.close()
  })

  it('detects a flipped byte by its checksum', async () => {
    const dir = await tempDir()
    const b = await open(dir, 1 << 20)
    for (let i = 0; i < 3; i++) await b.append(rec(i), 1)
    await b.close()
    const seg = path.join(dir, (await readdir(dir)).find((f) => f.endsWith('.seg'))!)
    const data = await readFile(seg)
    data[116 + 16 + 50] = data[116 + 16 + 50]! ^ 1
    await writeFile(seg, data)
    const ctx = context()
    const again = await open(dir, 1 << 20, 1 << 20, ctx)
    assert.equal(again.events, 1)
    assert.ok(ctx.logged.some((l) => /checksum mismatch/.test(l.message)))
    await again.close()
  })

  it('sends a whole segment again when the cursor is not at a record', async () => {
    const dir = await tempDir()
    const b = await open(dir, 1 << 20)
    for (let i = 0; i < 3; i++) await b.append(rec(i), 1)
    await b.close()
    const seg = (await readdir(dir)).find((f) => f.endsWith('.seg'))!
    await writeFile(path.join(dir, 'cursor'), `${seg.slice(0, 20)} ${String(7).padStart(20, '0')}\n`)
    const again = await open(dir, 1 << 20)
    assert.equal(again.events, 3)
    await again.close()
  })

  it('keeps what a run wrote after emptying the buffer, when that run crashes before any delivery', async () => {
    const dir = await tempDir()
    // A first run delivers everything: its cursor names a segment past the ones it wrote.
    const first = await open(dir)
    for (let i = 0; i < 40; i++) await first.append(rec(i), 1)
    for (let r = await first.read(); r; r = await first.read()) await first.ack(r.seq)
    await first.close()
    // The next run buffers (Elasticsearch down) and dies: its files are what a crash leaves.
    const second = await open(dir)
    for (let i = 0; i < 60; i++) await second.append(rec(i), 1)
    const crashed = await tempDir()
    for (const f of await readdir(dir)) if (f !== 'lock') await copyFile(path.join(dir, f), path.join(crashed, f))
    await second.close()
    const third = await open(crashed)
    assert.equal(third.events, 60, 'no segment of the crashed run is taken for delivered')
    await third.close()
  })

  it('says when a record does not fit, and refuses a second user of the folder', async () => {
    const dir = await tempDir()
    const b = await open(dir, 1024, 4096)
    assert.ok(b.fits(1000))
    for (let i = 0; i < 4; i++) await b.append(rec(i, 1000), 1)
    assert.equal(b.fits(1000), false)
    await assert.rejects(open(dir), (err: unknown) => hasCode(err, 'BEER_ERR_SINK_ES_BUFFER_LOCKED'))
    await b.close()
    // A lock left by a process that is gone is taken over.
    await writeFile(path.join(dir, 'lock'), '999999999\n')
    const again = await open(dir, 1024, 4096)
    assert.equal(again.events, 4)
    await again.close()
  })

  it('tells a live holder of the lock from a later process that got the same number', { skip: process.platform !== 'linux' && 'needs /proc' }, async () => {
    const dir = await tempDir()
    const holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60_000)'], { stdio: 'ignore' })
    try {
      await new Promise((r) => holder.once('spawn', r))
      const stat = await readFile(`/proc/${holder.pid}/stat`, 'utf8')
      const start = stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19]
      const boot = (await readFile('/proc/sys/kernel/random/boot_id', 'utf8')).trim()
      // The process that wrote the lock is the one running: refused.
      await writeFile(path.join(dir, 'lock'), `${holder.pid}\n${boot}/${start}\n`)
      await assert.rejects(open(dir), (err: unknown) => hasCode(err, 'BEER_ERR_SINK_ES_BUFFER_LOCKED'))
      // The lock was written before a reboot, by a process whose number the live one now has: taken over.
      await writeFile(path.join(dir, 'lock'), `${holder.pid}\n00000000-0000-0000-0000-000000000000/${start}\n`)
      const b = await open(dir)
      await b.close()
      // The same boot, but the number's process started at another time: taken over too.
      await writeFile(path.join(dir, 'lock'), `${holder.pid}\n${boot}/${Number(start) - 1}\n`)
      const c = await open(dir)
      // The lock it writes names it with its own identity.
      const [pid, identity] = (await readFile(path.join(dir, 'lock'), 'utf8')).split('\n')
      assert.equal(Number(pid), process.pid)
      assert.match(identity!, new RegExp(`^${boot}/\\d+$`))
      await c.close()
    } finally {
      holder.kill()
    }
  })
})
