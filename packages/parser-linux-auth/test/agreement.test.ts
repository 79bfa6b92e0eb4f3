// Agreement with outside oracles on the shared corpus (../shared/corpus from the repository root):
// Sekoia's OpenSSH intake (parsed test cases), Wazuh's sshd/sudo/su/pam rule tests (lines that must
// be claimed), loghub's OpenSSH sample (with its structured CSV: host and pid of every line) and
// Elastic's system/auth sample. The rates are printed; the corpus is not part of the repository,
// so without it these tests skip with a notice, except in CI.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { splitCsv } from '@beer/parser-sdk'
import type { LogEvent } from '@beer/parser-sdk'
import { fixtureMessage } from '@beer/parser-sdk/testing'
import { create } from '../src/index.ts'

const CORPUS = fileURLToPath(new URL('../../../../shared/corpus/', import.meta.url))
const present = existsSync(CORPUS)
const inCi = process.env.CI === 'true'
const parser = create({})

function skipWithoutCorpus(t: { skip: (message: string) => void }): boolean {
  if (present) return false
  if (inCi) assert.fail(`the shared corpus is missing at ${CORPUS}; CI runs the agreement tests`)
  console.log(`notice: ${CORPUS} is absent: agreement with Sekoia, Wazuh, loghub and Elastic not measured`)
  t.skip('shared corpus absent')
  return true
}

function parseLine(line: string): { mine: boolean; event: LogEvent | undefined } {
  const msg = fixtureMessage(line)
  if (!parser.isMine(msg)) return { mine: false, event: undefined }
  const r = parser.parse(msg)
  return { mine: true, event: (Array.isArray(r) ? r[0] : r) ?? undefined }
}

function get(doc: unknown, path: string): unknown {
  let v: unknown = doc
  for (const key of path.split('.')) {
    if (v === null || typeof v !== 'object') return undefined
    v = (v as Record<string, unknown>)[key]
  }
  return v
}

/** Lines of a Wazuh rule-test file: `log N pass|fail = <line>`, and bare lines a section lists without the prefix. */
function wazuhLines(ini: string): string[] {
  const out: string[] = []
  for (const raw of ini.split('\n')) {
    const line = raw.replace(/\r$/, '')
    if (line.trim() === '' || line.startsWith(';') || line.startsWith('[')) continue
    const m = /^log \d+ (?:pass|fail) = (.*)$/.exec(line)
    if (m) out.push(m[1]!)
    else if (!/^[a-z_]+ = /.test(line)) out.push(line)
  }
  return out
}

// Sekoia names an event by `action.name`/`action.type` and its category; these are the beer
// actions that name the same thing. Sekoia's buckets are wider than ours (one "connection open
// failure" covers a failed password, a denied user and a disconnect for too many failures).
const SEKOIA_ACTIONS: Record<string, readonly string[]> = {
  'session/open/authentication': ['logged-in'],
  'connection/close/network': ['ssh-disconnected', 'logged-out'],
  'connection/open/network': ['ssh-connection'],
  'connection/open/authentication': ['logon-failed', 'ssh-user-not-allowed', 'ssh-disconnected'],
  'connection/open/session': ['ssh-auth-attempts-exceeded', 'ssh-disconnected', 'ssh-protocol-error', 'session-opened', 'pam-max-retries'],
  'negotiate/open/network': ['ssh-protocol-error'],
  'negotiate/open/session': ['ssh-protocol-error'],
  'sshd:session/open/session': ['session-opened'],
  'sshd:session/close/session': ['session-closed'],
  'sshd:auth/authentication/authentication': ['logon-failed', 'pam-repeated-failures', 'locked-user-account'],
  'sshd:auth/check/authentication': ['pam-user-unknown'],
}

const FIELDS = ['source.ip', 'source.port', 'source.domain', 'destination.ip', 'destination.port', 'user.name', 'host.name', 'event.outcome', 'event.action']

test('agrees with Sekoia’s OpenSSH intake on at least 90% of the compared fields', (t) => {
  if (skipWithoutCorpus(t)) return
  const dir = CORPUS + 'sekoia-intake-formats/openssh/'
  const agree = new Map<string, number>()
  const total = new Map<string, number>()
  const differences: string[] = []
  const unclaimed: string[] = []
  let cases = 0
  for (const name of readdirSync(dir).filter((f) => f.endsWith('.json')).sort()) {
    const data = JSON.parse(readFileSync(dir + name, 'utf8')) as { input: { message: string }; expected: Record<string, unknown> }
    cases++
    const body = data.input.message.replace(/\r?\n$/, '')
    // Sekoia's collector strips the syslog header; the bodies are given back the sshd tag they had.
    const line = /^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d /.test(body) ? body : `<38>Nov 27 09:59:58 sekoia-host sshd[1234]:${body.startsWith(' ') ? '' : ' '}${body}`
    const { mine, event } = parseLine(line)
    if (!mine || event === undefined) {
      unclaimed.push(name)
      continue
    }
    const e = data.expected
    for (const field of FIELDS) {
      let expected: unknown
      let ours: unknown = get(event, field)
      if (field === 'event.action') {
        const a = get(e, 'action.name')
        if (a === undefined) continue
        const key = `${String(a)}/${String(get(e, 'action.type'))}/${String((get(e, 'event.category') as string[] | undefined)?.[0])}`
        const allowed = SEKOIA_ACTIONS[key]
        expected = key
        if (ours === undefined) continue
        total.set(field, (total.get(field) ?? 0) + 1)
        if (allowed?.includes(String(ours))) agree.set(field, (agree.get(field) ?? 0) + 1)
        else differences.push(`${name} ${field}: Sekoia ${key}, ours ${JSON.stringify(ours)}`)
        continue
      }
      expected = get(e, field)
      if (field === 'host.name') ours = expected === undefined ? undefined : ours
      if (expected === undefined || ours === undefined) continue
      total.set(field, (total.get(field) ?? 0) + 1)
      if (String(expected) === String(ours)) agree.set(field, (agree.get(field) ?? 0) + 1)
      else differences.push(`${name} ${field}: Sekoia ${JSON.stringify(expected)}, ours ${JSON.stringify(ours)}`)
    }
  }
  let a = 0
  let n = 0
  const rows = ['sekoia openssh: agreement per field (agreeing / compared)']
  for (const field of FIELDS) {
    const k = total.get(field) ?? 0
    if (k === 0) continue
    const g = agree.get(field) ?? 0
    a += g
    n += k
    rows.push(`  ${field.padEnd(18)} ${String(g).padStart(3)} / ${String(k).padEnd(3)} ${((g / k) * 100).toFixed(1)}%`)
  }
  const rate = n === 0 ? 0 : a / n
  rows.push(`  overall ${a} / ${n} = ${(rate * 100).toFixed(2)}%; ${cases - unclaimed.length} of ${cases} cases claimed${unclaimed.length ? ` (not: ${unclaimed.join(', ')})` : ''}`)
  if (differences.length > 0) rows.push('  differences:', ...differences.map((d) => '    ' + d))
  console.log(rows.join('\n'))
  assert.ok(rate >= 0.9, `agreement with Sekoia ${(rate * 100).toFixed(2)}% is below 90%`)
})

// Lines of the Wazuh files that are not a product line this parser reads, with the reason. None
// at the moment: every line of sshd.ini, sudo.ini, su.ini and pam.ini is sshd's, sudo's, su's or a
// PAM module's, including vsftpd's old-style `vsftpd(pam_unix)` line.
const WAZUH_NOT_OURS: Record<string, string> = {}

for (const file of ['sshd', 'sudo', 'su', 'pam']) {
  test(`claims every line of Wazuh’s ${file}.ini`, (t) => {
    if (skipWithoutCorpus(t)) return
    const lines = wazuhLines(readFileSync(`${CORPUS}wazuh-ruleset-tests/${file}.ini`, 'utf8'))
    const refused = lines.filter((line) => !(line in WAZUH_NOT_OURS) && !parseLine(line).mine)
    console.log(`wazuh ${file}.ini: ${lines.length - refused.length} of ${lines.length} lines claimed`)
    assert.ok(lines.length > 0)
    assert.deepEqual(refused, [])
  })
}

test('claims at least 99% of loghub’s OpenSSH sample, with its host name and pid on every line', (t) => {
  if (skipWithoutCorpus(t)) return
  const dir = CORPUS + 'loghub/OpenSSH/'
  const lines = readFileSync(dir + 'OpenSSH_2k.log', 'utf8').split('\n').filter((l) => l !== '')
  const rows = readFileSync(dir + 'OpenSSH_2k.log_structured.csv', 'utf8').split('\n').slice(1).filter((l) => l !== '')
  assert.equal(rows.length, lines.length)
  let claimed = 0
  const wrong: string[] = []
  lines.forEach((line, k) => {
    const [, , , , host, pid] = splitCsv(rows[k]!)
    const { mine, event } = parseLine(line)
    if (!mine || event === undefined) return
    claimed++
    if (get(event, 'host.name') !== host || get(event, 'process.pid') !== Number(pid)) {
      wrong.push(`line ${k + 1}: host ${String(get(event, 'host.name'))} pid ${String(get(event, 'process.pid'))}, loghub ${host} ${pid}`)
    }
  })
  const rate = claimed / lines.length
  console.log(`loghub OpenSSH_2k.log: ${claimed} of ${lines.length} lines claimed (${(rate * 100).toFixed(2)}%); host and pid differ on ${wrong.length}`)
  assert.ok(rate >= 0.99, `${(rate * 100).toFixed(2)}% claimed`)
  assert.deepEqual(wrong, [])
})

test('claims at least 99% of Elastic’s system/auth sample', (t) => {
  if (skipWithoutCorpus(t)) return
  const dir = CORPUS + 'elastic-system-auth/'
  let lines = 0
  const refused: string[] = []
  for (const file of readdirSync(dir).filter((f) => f.endsWith('.log'))) {
    for (const line of readFileSync(dir + file, 'utf8').split('\n')) {
      if (line === '') continue
      lines++
      if (!parseLine(line).mine) refused.push(line)
    }
  }
  const rate = (lines - refused.length) / lines
  console.log(`elastic system/auth: ${lines - refused.length} of ${lines} lines claimed (${(rate * 100).toFixed(2)}%)${refused.length ? `; not: ${refused.join(' | ')}` : ''}`)
  assert.ok(rate >= 0.99, `${(rate * 100).toFixed(2)}% claimed`)
})
