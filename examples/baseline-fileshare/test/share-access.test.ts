// The example's own analyzer on the Baseline: trained on three weeks of share opens, then shown
// a Windows 5140 line read by the real Windows parser.
import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { LogEvent, ModuleContext, Parser } from '@beer/core'
import { windows } from '@beer/parser-windows'
import { fixtureMessage } from '@beer/parser-sdk/testing'
import { create } from '../share-access.ts'

const D = 86_400_000
const MONDAY = Date.parse('2026-11-02T00:00:00.000Z')

/** A 5140 event as @beer/parser-windows gives it (the fields the analyzer reads). */
function opened(user: string, share: string, at: number): LogEvent {
  return {
    '@timestamp': new Date(at).toISOString(),
    event: { kind: 'event', module: 'windows', code: '5140', outcome: 'success' },
    user: { name: user, domain: 'EXAMPLE' },
    host: { name: 'fs01.example.org' },
    winlog: { event_id: '5140', event_data: { SubjectUserName: user, ShareName: `\\\\*\\${share}` } },
  }
}

async function windowsParser(): Promise<Parser> {
  const d = windows()
  const mod = (await import(d.module)) as Record<string, (o: unknown, c: ModuleContext) => Parser>
  return mod[d.export]!(d.options, { name: 'windows', instance: 0, log: { info() {}, warn() {}, error() {} }, emit() {} })
}

test('raises one alert when a learned user opens a share new to them that few others open', async () => {
  const alerts: { alert: LogEvent; causes: readonly LogEvent[] }[] = []
  const a = create({}, { name: 'share-access', instance: 0, log: { info() {}, warn() {}, error() {} }, emit: (alert, causes) => alerts.push({ alert, causes: causes ?? [] }) })
  const users = Array.from({ length: 10 }, (_, i) => `user${i}`)
  for (let d = 0; d < 21; d++) {
    for (const u of users) {
      a.analyze(opened(u, 'Public', MONDAY + d * D + 9 * 3_600_000))
      a.analyze(opened(u, u === 'user9' ? 'Payroll' : `Team${users.indexOf(u) % 3}`, MONDAY + d * D + 10 * 3_600_000))
    }
  }
  assert.equal(alerts.length, 0, 'nothing while learning')

  const line = `<14>1 2026-11-24T14:02:00Z fs01.example.org Microsoft-Windows-Security-Auditing 612 - - ${JSON.stringify({
    EventTime: '2026-11-24 14:02:00',
    Hostname: 'fs01.example.org',
    EventType: 'AUDIT_SUCCESS',
    SourceName: 'Microsoft-Windows-Security-Auditing',
    Channel: 'Security',
    EventID: 5140,
    Category: 'File Share',
    SubjectUserSid: 'S-1-5-21-1004336348-1177238915-682003330-1104',
    SubjectUserName: 'user1',
    SubjectDomainName: 'EXAMPLE',
    SubjectLogonId: '0x2a1f3c',
    ObjectType: 'File',
    IpAddress: '192.0.2.10',
    IpPort: '50123',
    ShareName: '\\\\*\\Payroll',
    ShareLocalPath: '\\??\\D:\\Shares\\Payroll',
    AccessMask: '0x1',
    AccessList: '%%4416',
  })}`
  const parser = await windowsParser()
  const msg = fixtureMessage(line)
  assert.equal(parser.isMine(msg), true)
  const event = parser.parse(msg) as LogEvent
  a.analyze(event)
  assert.equal(alerts.length, 1)
  assert.equal(alerts[0]!.alert.message, 'user1 opened \\\\fs01.example.org\\Payroll for the first time in 22 days of history (1 of 10 users do)')
  assert.deepEqual(alerts[0]!.causes, [event], 'the runtime records the 5140 event as the cause')
  // Team0, which three of ten users open, is no news; a share nobody opens is.
  a.analyze(opened('user2', 'Team0', MONDAY + 23 * D))
  assert.equal(alerts.length, 1)
  a.analyze(opened('user2', 'Legal', MONDAY + 23 * D))
  assert.equal(alerts.length, 2)
  assert.match(String(alerts[1]!.alert.message), /^user2 opened .*Legal for the first time in 22 days of history \(0 of 10 users do\)$/)
  assert.deepEqual(a.command!('status'), { users: 10 })
})
