import { test } from 'node:test'
import assert from 'node:assert/strict'
import { spawnSync } from 'node:child_process'
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { checkFixtureSet, checkParser, fixtureLines, fixtureMessage, FIXTURE_ORIGIN, formatReport, HOSTILE_LINES } from '../src/testing/index.ts'
import type { CheckReport, CreateParser } from '../src/testing/index.ts'
import type { SyslogMessage } from '../src/index.ts'
import { create, tinyParser } from './fixtures/tiny-parser.ts'
import type { TinyOptions } from './fixtures/tiny-parser.ts'

const fixtures = (folder: string) => new URL(`./fixtures/${folder}/`, import.meta.url)
const check = (folder: string, flaw: TinyOptions['flaw'] = 'none', update = false) =>
  checkParser({ create, options: { flaw }, fixtures: fixtures(folder), update })

function copyFixtures(folder: string): string {
  const dir = mkdtempSync(join(tmpdir(), 'beer-kit-'))
  cpSync(fileURLToPath(fixtures(folder)), dir, { recursive: true })
  return dir
}

function failures(r: CheckReport): number {
  return r.problems.length + r.mismatches.length + r.unclaimed.length + r.claimedNotMine.length + r.contract.length
}

test('passes a parser whose every fixture line is claimed and parsed as its .json says', async () => {
  const r = await check('tiny')
  assert.equal(formatReport(r), '')
  assert.equal(r.ok, true)
  assert.deepEqual(r.files, [{ file: 'login.log', lines: 3 }])
  assert.deepEqual(r.notMine, [{ file: 'not-mine/others.log', lines: 3 }])
  assert.ok(r.hostileInputs >= HOSTILE_LINES.length + 3)
})

test('builds the parser from a descriptor as the runtime does', async () => {
  const r = await checkParser({ descriptor: tinyParser(), fixtures: fixtures('tiny') })
  assert.equal(r.ok, true, formatReport(r))
})

test('reports a .json that differs: the line, the first differing field and a diff', async () => {
  const r = await check('wrong-json')
  assert.equal(r.ok, false)
  assert.equal(r.mismatches.length, 1)
  const [m] = r.mismatches
  assert.equal(m!.file, 'login.log')
  assert.equal(m!.line, 2)
  assert.equal(m!.path, 'user.name')
  assert.equal(m!.expected, 'robert')
  assert.equal(m!.actual, 'bob')
  assert.match(m!.diff, /^- +"name": "robert"$/m)
  assert.match(m!.diff, /^\+ +"name": "bob"$/m)
  const text = formatReport(r)
  assert.match(text, /login\.log:2 differs from login\.json at user\.name: expected "robert", got "bob"/)
  assert.match(text, /BEER_UPDATE_FIXTURES=1/)
})

test('reports a fixture line the parser does not claim', async () => {
  const r = await check('unclaimed')
  assert.equal(r.ok, false)
  assert.deepEqual(r.unclaimed, [{ file: 'mixed.log', line: 2, text: '<134>Mar  5 10:15:30 host1 tiny: hello there' }])
  assert.equal(failures(r), 1)
})

test('reports a not-mine line the parser claims', async () => {
  const r = await check('claimed-not-mine')
  assert.equal(r.ok, false)
  assert.equal(r.claimedNotMine.length, 1)
  assert.equal(r.claimedNotMine[0]!.file, 'not-mine/others.log')
  assert.equal(r.claimedNotMine[0]!.line, 1)
  assert.equal(failures(r), 1)
})

test('reports a parser that gives different output for the same line', async () => {
  const r = await check('tiny', 'counter')
  const det = r.contract.filter((c) => c.check === 'deterministic')
  assert.equal(det.length, 3)
  assert.equal(det[0]!.line, 1)
  assert.match(det[0]!.message, /at tiny\.seq/)
})

test('reports undefined fields as not plain data', async () => {
  const r = await check('tiny', 'undefined-field')
  const plain = r.contract.filter((c) => c.check === 'plain-data' && c.file === 'login.log')
  assert.equal(plain.length, 3)
  assert.match(plain[0]!.message, /^tiny\.reason is undefined/)
})

test('reports a Date and a null-prototype object as not plain data', async () => {
  const date = await check('tiny', 'date')
  assert.match(date.contract.find((c) => c.check === 'plain-data')!.message, /^tiny\.seen is a Date/)
  const proto = await check('tiny', 'null-prototype')
  assert.match(proto.contract.find((c) => c.check === 'plain-data')!.message, /^tiny is an object with a null prototype/)
})

test('reports a throw from parse with its line, and goes on with the other lines', async () => {
  const r = await check('tiny', 'throws-on-bob')
  const threw = r.contract.filter((c) => c.check === 'parse-threw' && c.file !== undefined)
  assert.equal(threw.length, 1)
  assert.equal(threw[0]!.line, 2)
  assert.match(threw[0]!.message, /bob is not supported/)
  assert.equal(r.mismatches.length, 0)
  assert.match(formatReport(r), /login\.log:2: parse threw/)
})

function handWritten(isMine: (msg: SyslogMessage) => unknown, parse: (msg: SyslogMessage) => unknown = () => null): CreateParser<unknown> {
  return () => ({ isMine, parse }) as never
}

test('reports isMine throwing or answering something else than a boolean on hostile input', async () => {
  const r = await checkParser({
    create: handWritten((msg) => {
      if (msg.message.length > 60_000) throw new RangeError('too long')
      if (msg.message === '') return 'no'
      return msg.appname === 'tiny' && msg.message.startsWith('op=')
    }),
    fixtures: fixtures('tiny'),
  })
  const hostile = r.contract.filter((c) => c.input !== undefined)
  assert.ok(hostile.some((c) => c.check === 'is-mine' && /threw.*too long/.test(c.message)))
  assert.ok(hostile.some((c) => c.check === 'is-mine' && /returned the string "no"/.test(c.message)))
  assert.match(formatReport(r, { hostile: true }), /hostile input "a 64 KiB message": isMine threw/)
})

test('reports parse throwing on a hostile line it claims, such as a fixture line cut short', async () => {
  const r = await checkParser({
    create: handWritten(
      (msg) => msg.appname === 'tiny',
      (msg) => {
        if (!/src=\S+$/.test(msg.message)) throw new TypeError('no src')
        return null
      },
    ),
    fixtures: fixtures('tiny'),
  })
  assert.ok(r.contract.some((c) => c.check === 'parse-threw' && c.input?.startsWith('login.log:1 cut after')))
})

test('reports a missing .json, a count that differs, an orphan .json and a folder without fixtures', async () => {
  const dir = copyFixtures('tiny')
  try {
    rmSync(join(dir, 'login.json'))
    let r = await checkParser({ create, fixtures: dir })
    assert.match(r.problems[0]!.message, /is missing: write it with BEER_UPDATE_FIXTURES=1/)
    writeFileSync(join(dir, 'login.json'), '[]\n')
    writeFileSync(join(dir, 'old.json'), '[]\n')
    r = await checkParser({ create, fixtures: dir })
    assert.deepEqual(
      r.problems.map((p) => p.file),
      ['login.json', 'old.json'],
    )
    assert.match(r.problems[0]!.message, /has 0 entries for 3 lines/)
  } finally {
    rmSync(dir, { recursive: true })
  }
  const empty = mkdtempSync(join(tmpdir(), 'beer-kit-'))
  try {
    const r = await checkParser({ create, fixtures: empty })
    assert.equal(r.ok, false)
    assert.match(r.problems[0]!.message, /has no fixture \.log files/)
  } finally {
    rmSync(empty, { recursive: true })
  }
})

test('rewrites the .json files with sorted keys, two-space indent and a trailing newline when asked', async () => {
  const dir = copyFixtures('tiny')
  const original = readFileSync(join(dir, 'login.json'), 'utf8')
  try {
    writeFileSync(join(dir, 'login.json'), '[{"stale": true}]')
    let r = await checkParser({ create, fixtures: dir, update: true })
    assert.equal(r.ok, true)
    assert.deepEqual(r.updated, ['login.json'])
    assert.equal(readFileSync(join(dir, 'login.json'), 'utf8'), original)
    assert.ok(original.endsWith('}\n]\n'))
    assert.match(original, /^\[\n {2}\{\n {4}"@timestamp"/)

    writeFileSync(join(dir, 'login.json'), '[]')
    const before = process.env.BEER_UPDATE_FIXTURES
    process.env.BEER_UPDATE_FIXTURES = '1'
    try {
      r = await checkParser({ create, fixtures: dir })
    } finally {
      if (before === undefined) delete process.env.BEER_UPDATE_FIXTURES
      else process.env.BEER_UPDATE_FIXTURES = before
    }
    assert.equal(readFileSync(join(dir, 'login.json'), 'utf8'), original)
  } finally {
    rmSync(dir, { recursive: true })
  }
})

test('keeps the entry of a line it cannot claim when rewriting', async () => {
  const dir = copyFixtures('unclaimed')
  try {
    const expected = JSON.parse(readFileSync(join(dir, 'mixed.json'), 'utf8')) as unknown[]
    expected[1] = { kept: true }
    writeFileSync(join(dir, 'mixed.json'), JSON.stringify(expected))
    const r = await checkParser({ create, fixtures: dir, update: true })
    assert.equal(r.unclaimed.length, 1)
    assert.deepEqual((JSON.parse(readFileSync(join(dir, 'mixed.json'), 'utf8')) as unknown[])[1], { kept: true })
  } finally {
    rmSync(dir, { recursive: true })
  }
})

test('parses fixture lines through the real header parser, from a fixed origin', () => {
  const msg = fixtureMessage('<134>Mar  5 10:15:30 host1 tiny[42]: op=login', '+01:00')
  assert.equal(msg.receivedAt, FIXTURE_ORIGIN.receivedAt)
  assert.equal(new Date(msg.receivedAt).toISOString(), '2026-11-27T10:00:00.000Z')
  assert.equal(msg.sourceAddress, '192.0.2.1')
  assert.equal(msg.listener, 'udp://0.0.0.0:514')
  assert.equal(msg.appname, 'tiny')
  assert.equal(new Date(msg.timestamp).toISOString(), '2026-03-05T09:15:30.000Z')
})

test('splits fixture text into lines byte for byte', () => {
  assert.deepEqual(fixtureLines(''), [])
  assert.deepEqual(fixtureLines('a\nb\n'), ['a', 'b'])
  assert.deepEqual(fixtureLines('a\r\n\nb'), ['a\r', '', 'b'])
})

test('checks fixtures held in memory, without a file system', () => {
  const parser = create({})
  const text = '<134>Mar  5 10:15:30 host1 tiny: op=login user=alice\n'
  const { report, rewrites } = checkFixtureSet(parser, { files: [{ file: 'a.log', text }], notMine: [] }, { update: true })
  assert.equal(report.ok, true)
  const again = checkFixtureSet(parser, { files: [{ file: 'a.log', text, expected: rewrites[0]!.text }], notMine: [] })
  assert.equal(again.report.ok, true, formatReport(again.report))
})

function runTestParser(folder: string, flaw: string): { status: number | null; out: string } {
  const env: NodeJS.ProcessEnv = { ...process.env, TINY_FOLDER: folder, TINY_FLAW: flaw }
  // Started from inside a node:test run: without this the child would report to the parent runner.
  delete env.NODE_TEST_CONTEXT
  delete env.BEER_UPDATE_FIXTURES
  const r = spawnSync(
    process.execPath,
    ['--import', 'tsx', '--test', '--test-reporter=spec', fileURLToPath(new URL('./fixtures/run-test-parser.ts', import.meta.url))],
    { env, encoding: 'utf8' },
  )
  return { status: r.status, out: r.stdout + r.stderr }
}

test('testParser registers a test per fixture file and per contract rule, titled by behaviour', () => {
  const { status, out } = runTestParser('tiny', 'none')
  assert.equal(status, 0, out)
  for (const title of [
    'claims every line of login.log and parses it as login.json says',
    'refuses every line of not-mine/others.log',
    'parses a line the same way every time',
    'returns plain data that structuredClone and JSON carry unchanged',
    'answers isMine with true or false, never a throw, and parses what it claims without throwing, on hostile input',
  ]) {
    assert.ok(out.includes(`✔ ${title}`), `${title}\n${out}`)
  }
})

test('testParser fails the fixture test with a diff of the first differing line', () => {
  const { status, out } = runTestParser('wrong-json', 'none')
  assert.equal(status, 1, out)
  assert.match(out, /✖ claims every line of login\.log and parses it as login\.json says/)
  assert.match(out, /login\.log:2 differs from login\.json at user\.name/)
  assert.match(out, /- +"name": "robert"/)
  assert.match(out, /\+ +"name": "bob"/)
  assert.match(out, /✔ parses a line the same way every time/)
})

test('testParser fails only the rule a flawed parser breaks', () => {
  const { status, out } = runTestParser('tiny', 'counter')
  assert.equal(status, 1, out)
  assert.match(out, /✖ parses a line the same way every time/)
  assert.match(out, /✔ returns plain data that structuredClone and JSON carry unchanged/)
})
