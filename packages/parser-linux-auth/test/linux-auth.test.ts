import { test } from 'node:test'
import assert from 'node:assert/strict'
import type { LogEvent } from '@beer/parser-sdk'
import { fixtureMessage, testParser } from '@beer/parser-sdk/testing'
import { create, linuxAuth } from '../src/index.ts'

// Every line of fixtures/*.log parses as the .json beside it says, fixtures/not-mine/ is refused,
// and the parser keeps the contract (no throws, deterministic, plain data) on hostile input too.
testParser({ descriptor: linuxAuth(), fixtures: new URL('../fixtures/', import.meta.url) })

const parser = create({})

function one(line: string, p = parser): LogEvent {
  const msg = fixtureMessage(line)
  assert.ok(p.isMine(msg), `claims ${line}`)
  const r = p.parse(msg)
  assert.ok(r && !Array.isArray(r))
  return r
}

function at(ev: LogEvent, path: string): unknown {
  return path.split('.').reduce<unknown>((v, k) => (v === null || typeof v !== 'object' ? undefined : (v as Record<string, unknown>)[k]), ev)
}

test('refuses options it does not know, with a code', () => {
  for (const bad of [{ original: 'yes' }, { timezone: 'UTC' }, 'x']) {
    assert.throws(
      () => create(bad as never),
      (err: { code?: string }) => err.code === 'BEER_ERR_PARSER_LINUX_AUTH_OPTIONS',
    )
  }
  assert.doesNotThrow(() => create({ original: true }))
})

test('keeps the frame in event.original when asked', () => {
  const line = '<38>Nov 27 09:59:58 bastion1 sshd[4721]: Accepted password for alice from 192.0.2.44 port 52113 ssh2'
  assert.equal(at(one(line, create({ original: true })), 'event.original'), line)
  assert.equal(at(one(line), 'event.original'), undefined)
})

test('reads a user name that holds spaces up to the last " from "', () => {
  const ev = one('<38>Nov 27 09:59:58 bastion1 sshd[1]: Invalid user admin from x from 203.0.113.9 port 22')
  assert.equal(at(ev, 'user.name'), 'admin from x')
  assert.equal(at(ev, 'source.ip'), '203.0.113.9')
  assert.equal(at(ev, 'source.port'), 22)
})

test('takes back the host and tag a misread header left in the message', () => {
  const ev = one('2020-03-23 06:47:42.801612-0700  bastion3 sshd[3186]: Invalid user x from 192.0.2.1')
  assert.equal(at(ev, 'host.name'), 'bastion3')
  assert.equal(at(ev, 'process.name'), 'sshd')
  assert.equal(at(ev, 'process.pid'), 3186)
  assert.equal(at(ev, 'message'), 'Invalid user x from 192.0.2.1')
})

test('counts a login once: the logout is "Disconnected from user", a preauth close is not', () => {
  assert.equal(at(one('<38>Nov 27 09:59:58 b sshd[1]: Disconnected from user alice 192.0.2.44 port 5'), 'event.action'), 'logged-out')
  assert.equal(
    at(one('<38>Nov 27 09:59:58 b sshd[1]: Disconnected from authenticating user alice 192.0.2.44 port 5 [preauth]'), 'event.action'),
    'ssh-disconnected',
  )
})

test('gives the per-database lines of the account tools no action, so that a change counts once', () => {
  const gshadow = one("<86>Nov 27 09:59:58 web1 useradd[1]: add 'henry' to shadow group 'wheel'")
  assert.equal(at(gshadow, 'event.action'), undefined)
  assert.deepEqual(at(gshadow, 'event.type'), ['group', 'change'])
  assert.equal(at(one("<86>Nov 27 09:59:58 web1 useradd[1]: add 'henry' to group 'wheel'"), 'event.action'), 'added-member-to-group')
  assert.equal(at(one('<86>Nov 27 09:59:58 web1 gpasswd[1]: user carol added by root to group admins in /etc/gshadow'), 'event.action'), undefined)
})

test('keeps a sudo command that holds " ; " whole', () => {
  const ev = one('<85>Nov 27 09:59:58 web1 sudo: alice : TTY=pts/0 ; PWD=/ ; USER=root ; COMMAND=/bin/sh -c a ; b ; USER=x')
  assert.equal(at(ev, 'process.command_line'), '/bin/sh -c a ; b ; USER=x')
  assert.equal(at(ev, 'user.effective.name'), 'root')
})

test('reads an IPv6 address in the old Received disconnect form', () => {
  const ev = one('<38>Nov 27 09:59:58 b sshd[1]: Received disconnect from 2001:db8::1: 11: bye')
  assert.equal(at(ev, 'source.ip'), '2001:db8::1')
  assert.equal(at(ev, 'system.auth.ssh.disconnect.code'), 11)
  assert.equal(at(ev, 'event.reason'), 'bye')
})

test('marks a line cut at the maximum message size as partial', () => {
  const msg = { ...fixtureMessage('<38>Nov 27 09:59:58 b sshd[1]: Accepted password for alice from 192.0.2.44 port 5 ssh2'), truncated: true }
  const ev = parser.parse(msg) as LogEvent
  assert.equal(at(ev, 'beer.partial'), true)
  assert.match(String(at(ev, 'error.message')), /maximum message size/)
  assert.deepEqual(at(ev, 'log.flags'), ['truncated'])
})

test('claims PAM lines under any tag, and only PAM-shaped ones', () => {
  assert.equal(at(one('<86>Nov 27 09:59:58 h gdm-session-worker[1201]: pam_unix(gdm-password:session): session opened for user eve by (uid=0)'), 'event.action'), 'session-opened')
  assert.equal(parser.isMine(fixtureMessage('<86>Nov 27 09:59:58 h app: pam_unix is great')), false)
})
