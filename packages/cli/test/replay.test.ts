import assert from 'node:assert/strict'
import { execFile } from 'node:child_process'
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises'
import { tmpdir } from 'node:os'
import path from 'node:path'
import { after, before, describe, it } from 'node:test'
import { fileURLToPath } from 'node:url'

const beer = fileURLToPath(new URL('../dist/beer.js', import.meta.url))
const moduleConfig = fileURLToPath(new URL('./fixtures/replay-config.mjs', import.meta.url))

let dir: string
before(async () => {
  dir = await mkdtemp(path.join(tmpdir(), 'beer-replay-'))
})
after(async () => {
  await rm(dir, { recursive: true, force: true })
})

function run(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [beer, ...args], { cwd: dir, maxBuffer: 64 << 20 }, (err, stdout, stderr) =>
      resolve({ code: err ? ((err as { code?: number }).code ?? 1) : 0, stdout, stderr }),
    )
  })
}

/** An archive: a guessed password, a group given admin rights and deleted, an account created and deleted, two products on one address, noise; out of order, some with ids. */
function archive(): string {
  const base = Date.parse('2026-11-27T10:00:00Z')
  const at = (s: number): string => new Date(base + s * 1000).toISOString()
  const lines: Record<string, unknown>[] = []
  for (let i = 0; i < 6; i++) lines.push({ '@timestamp': at(i * 20), event: { action: 'logon-failed', outcome: 'failure' }, user: { name: 'bob' }, source: { ip: `192.0.2.${i}` } })
  lines.push({ '@timestamp': at(130), event: { action: 'logged-in', outcome: 'success' }, user: { name: 'bob' }, source: { ip: '192.0.2.9' } })
  lines.push({ '@timestamp': at(200), event: { action: 'added-group-account', outcome: 'success', id: 'given-1' }, group: { name: 'tmp-admins' } })
  lines.push({ '@timestamp': at(260), event: { action: 'added-member-to-group', outcome: 'success' }, group: { name: 'Domain Admins' }, user: { target: { name: 'tmp-admins' } } })
  lines.push({ '@timestamp': at(900), event: { action: 'deleted-group-account', outcome: 'success' }, group: { name: 'tmp-admins' } })
  lines.push({ '@timestamp': at(1000), event: { action: 'added-user-account', outcome: 'success' }, user: { target: { name: 'svc-x' } } })
  lines.push({ '@timestamp': at(1300), event: { action: 'deleted-user-account', outcome: 'success' }, user: { target: { name: 'svc-x' } } })
  lines.push({ '@timestamp': at(1400), event: { kind: 'alert', severity: 2 }, observer: { product: 'Snort' }, source: { ip: '203.0.113.5' }, destination: { ip: '10.30.0.8' } })
  lines.push({ '@timestamp': at(1500), event: { kind: 'alert', severity: 5 }, observer: { product: 'PAN-OS' }, source: { ip: '203.0.113.6' }, destination: { ip: '10.30.0.8' } })
  for (let i = 0; i < 300; i++) lines.push({ '@timestamp': at(i * 7), event: { action: 'allowed' }, source: { ip: `10.20.0.${i % 50}` } })
  // Archives are seldom in order: shuffle deterministically; add a line that is not JSON and one without a time.
  let x = 7
  const shuffled = lines.map((l) => ({ l, k: (x = (x * 48271) % 2147483647) })).sort((a, b) => a.k - b.k).map((p) => JSON.stringify(p.l))
  shuffled.splice(10, 0, '{not json', JSON.stringify({ message: 'no time' }))
  return shuffled.join('\n') + '\n'
}

describe('beer replay', () => {
  it('writes the same alerts, byte for byte, every time it replays the same archive', async () => {
    const input = path.join(dir, 'events.ndjson')
    await writeFile(input, archive())
    const one = await run(['replay', input, '--out', 'a.ndjson'])
    assert.equal(one.code, 0, one.stderr)
    const two = await run(['replay', input, '--out', 'b.ndjson'])
    assert.equal(two.code, 0, two.stderr)
    const a = await readFile(path.join(dir, 'a.ndjson'))
    const b = await readFile(path.join(dir, 'b.ndjson'))
    assert.ok(a.length > 0)
    assert.ok(a.equals(b), 'same bytes')
    const alerts = a.toString().trim().split('\n').map((l) => JSON.parse(l))
    assert.deepEqual(alerts.map((x) => x.rule.id).sort(), ['alerts-from-several-products', 'failed-logins-then-success-user', 'group-created-admin-deleted', 'user-created-deleted'])
    for (const x of alerts) {
      assert.equal(x.event.kind, 'alert')
      assert.equal(x.beer.emitter, 'sequences')
      assert.equal(x.beer.hops, 1)
      assert.ok(x.beer.causes.every((c: string) => /^(r-[0-9a-f]{24}|given-1)$/.test(c)), JSON.stringify(x.beer.causes))
    }
    // In event time: alerts in the order their last events happened.
    const times = alerts.map((x) => x['@timestamp'])
    assert.deepEqual(times, [...times].sort())
    assert.match(one.stderr, /events\.ndjson:\d+: not JSON; skipped/)
    assert.match(one.stderr, /no @timestamp; skipped/)
    assert.match(one.stderr, /314 events in .* 4 alerts to a\.ndjson/)
    // To standard output when no --out is given: the same lines.
    const three = await run(['replay', input])
    assert.equal(three.stdout, a.toString())
  })

  it('runs what a configuration names: a module, or JSON', async () => {
    const input = path.join(dir, 'events.ndjson')
    await writeFile(input, archive())
    const mod = await run(['replay', input, '--config', moduleConfig])
    assert.equal(mod.code, 0, mod.stderr)
    assert.deepEqual(mod.stdout.trim().split('\n').map((l) => JSON.parse(l).rule.id), ['failed-logins-then-success-user', 'any-group-deleted'])
    const json = path.join(dir, 'replay.json')
    await writeFile(json, JSON.stringify({ analyze: [{ module: '@beer/analyzer-sequences', factory: 'sequences', options: { shipped: ['user-created-deleted'] } }] }))
    const j = await run(['replay', input, '--config', json])
    assert.equal(j.code, 0, j.stderr)
    assert.deepEqual(j.stdout.trim().split('\n').map((l) => JSON.parse(l).rule.id), ['user-created-deleted'])
  })

  it('says what is wrong with a configuration or an input, and exits 2', async () => {
    const json = path.join(dir, 'bad.json')
    await writeFile(json, JSON.stringify({ analyze: [{ module: '@beer/analyzer-sequences', factory: 'nope' }] }))
    const r = await run(['replay', path.join(dir, 'events.ndjson'), '--config', json])
    assert.equal(r.code, 2)
    assert.match(r.stderr, /BEER_ERR_REPLAY_CONFIG: .*bad\.json: analyze\[0\]: @beer\/analyzer-sequences has no function export 'nope'/)
    const badRule = path.join(dir, 'bad-rule.json')
    await writeFile(badRule, JSON.stringify({ analyze: [{ module: '@beer/analyzer-sequences', factory: 'sequences', options: { rules: [{ id: 'x', type: 'sequence', maxspan: 'soon', steps: [] }] } }] }))
    const rr = await run(['replay', path.join(dir, 'events.ndjson'), '--config', badRule])
    assert.equal(rr.code, 1)
    assert.match(rr.stderr, /BEER_ERR_SEQUENCES_RULE: rule 'x': steps: expected a non-empty list of steps/)
    const missing = await run(['replay', path.join(dir, 'none.ndjson')])
    assert.equal(missing.code, 2)
    assert.match(missing.stderr, /BEER_ERR_REPLAY_INPUT: .*none\.ndjson: no such file/)
    const usage = await run(['replay'])
    assert.equal(usage.code, 2)
    assert.match(usage.stderr, /usage: beer replay <events\.ndjson>/)
  })
})
