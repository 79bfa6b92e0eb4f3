// The shadow-utils account tools (useradd, userdel, usermod, groupadd, groupdel, groupmod, gpasswd,
// passwd, chage, chfn, chsh, chpasswd, newusers, groupmems): the texts they pass to syslog, as
// written in shadow's src/*.c and lib/cleanup_*.c from 4.1 (names in `quotes') to 4.17 (names in
// 'quotes'). A tool writes one line per account database it changes (/etc/group, then
// /etc/gshadow) and, in newer releases, one more for the whole change; the line that states the
// change for the system carries the event.action, the per-database lines the same category and
// type with `file.path` and no action, so that each change counts once by action.
import { classify, relateUser, set } from './common.ts'
import type { Out } from './common.ts'

type Verb = 'creation' | 'deletion' | 'change'

interface Fact {
  action: string | undefined
  object: 'user' | 'group'
  verb: Verb
  ok: boolean
  /** The account acted on. */
  target?: string
  targetId?: string
  group?: string
  groupId?: string
  /** Who did it, when the line says (passwd, gpasswd). */
  actor?: string
  file?: string
  attribute?: string
  from?: string
  to?: string
  reason?: string
  members?: string
  home?: string
  shell?: string
  tty?: string
}

class Scan {
  i = 0
  readonly t: string
  constructor(t: string) {
    this.t = t
  }
  lit(s: string): boolean {
    if (!this.t.startsWith(s, this.i)) return false
    this.i += s.length
    return true
  }
  /** A name in 'quotes' or `quotes'. */
  quoted(): string | undefined {
    const c = this.t.charCodeAt(this.i)
    if (c !== 39 && c !== 96) return undefined
    const e = this.t.indexOf("'", this.i + 1)
    if (e === -1) return undefined
    const v = this.t.slice(this.i + 1, e)
    this.i = e + 1
    return v
  }
  until(s: string): string | undefined {
    const e = this.t.indexOf(s, this.i)
    if (e === -1) return undefined
    const v = this.t.slice(this.i, e)
    this.i = e + s.length
    return v
  }
  rest(): string {
    const v = this.t.slice(this.i)
    this.i = this.t.length
    return v
  }
  get done(): boolean {
    return this.i >= this.t.length
  }
}

/** `name=x, UID=1, GID=2, home=/h, shell=/s, from=/dev/pts/0`: the values by key. */
function pairs(text: string): Map<string, string> {
  const out = new Map<string, string>()
  for (const part of text.split(', ')) {
    const eq = part.indexOf('=')
    if (eq > 0 && !out.has(part.slice(0, eq))) out.set(part.slice(0, eq), part.slice(eq + 1))
  }
  return out
}

function fact(action: string | undefined, object: 'user' | 'group', verb: Verb, rest: Partial<Fact>, ok = true): Fact {
  return { action, object, verb, ok, ...rest }
}

/** `<verb> 'a' to|from [shadow ]group 'g'` (useradd, usermod, userdel). */
function membership(s: Scan, add: boolean): Fact | undefined {
  const user = s.quoted()
  if (user === undefined || !s.lit(add ? ' to ' : ' from ')) return undefined
  const shadow = s.lit('shadow ')
  if (!s.lit('group ')) return undefined
  const group = s.quoted()
  if (group === undefined) return undefined
  return fact(shadow ? undefined : add ? 'added-member-to-group' : 'removed-member-from-group', 'group', 'change', {
    target: user,
    group,
    ...(shadow && { file: '/etc/gshadow' }),
  })
}

/** Reads a line of the account tools, or undefined when it is not one of their texts. */
export function shadowFact(text: string): Fact | undefined {
  return byFirstWord(text) ?? callerFailure(text)
}

function byFirstWord(text: string): Fact | undefined {
  const s = new Scan(text)
  switch (text.charCodeAt(0)) {
    case 97: // a
      if (s.lit('add ')) {
        if (s.lit('member ')) {
          // gpasswd < 4.1: `add member <user> to group <group> by <caller>`.
          const user = s.until(' to group ')
          const group = s.until(' by ')
          if (user === undefined || group === undefined) return undefined
          return fact('added-member-to-group', 'group', 'change', { target: user, group, actor: s.rest() })
        }
        return membership(s, true)
      }
      if (s.lit('access to group ')) {
        const group = s.until(' restricted by ')
        if (group === undefined) return undefined
        return gpasswdSuffix(fact('modified-group-account', 'group', 'change', { group, reason: 'access restricted' }), s.rest(), 'actor')
      }
      if (s.lit('administrators of group ')) {
        const group = s.until(' set by ')
        const actor = s.until(' to ')
        if (group === undefined || actor === undefined) return undefined
        return gpasswdSuffix(fact('modified-group-account', 'group', 'change', { group, actor, reason: 'administrators set' }), s.rest(), 'members')
      }
      return undefined
    case 99: // c
      if (s.lit('change user name ')) {
        const from = s.quoted()
        if (from === undefined || !s.lit(' to ')) return undefined
        const to = s.quoted()
        return fact('modified-user-account', 'user', 'change', { target: from, attribute: 'name', from, to })
      }
      if (s.lit('change user ')) {
        const user = s.quoted()
        if (user === undefined) return undefined
        if (s.lit(' password')) return fact('changed-password', 'user', 'change', { target: user })
        if (!s.lit(' ')) return undefined
        const attribute = s.until(' from ')
        const from = s.quoted()
        if (attribute === undefined || from === undefined || !s.lit(' to ')) return undefined
        const to = s.quoted()
        return fact('modified-user-account', 'user', 'change', { target: user, attribute, from, to })
      }
      if (s.lit('change admin ')) {
        const from = s.quoted()
        if (from === undefined || !s.lit(' to ')) return undefined
        const to = s.quoted()
        if (!s.lit(' in shadow group ')) return undefined
        const group = s.quoted()
        return fact('modified-group-account', 'group', 'change', { group, attribute: 'administrator', from, to, target: from })
      }
      if (s.lit('change group ')) {
        // groupmod 4.1: `change group `<old>' to `<new>'`.
        const from = s.quoted()
        if (from === undefined || !s.lit(' to ')) return undefined
        return fact('modified-group-account', 'group', 'change', { group: from, attribute: 'name', from, to: s.quoted() })
      }
      if (s.lit('change GID for ')) {
        const group = s.quoted()
        if (group === undefined || !s.lit(' to ')) return undefined
        return fact('modified-group-account', 'group', 'change', { group, attribute: 'GID', to: s.rest() })
      }
      if (s.lit('change the password for group ')) {
        const group = s.until(' by ')
        if (group === undefined) return undefined
        return fact('modified-group-account', 'group', 'change', { group, actor: s.rest(), reason: 'password changed' })
      }
      if (s.lit('changed password expiry for ')) {
        return fact('modified-user-account', 'user', 'change', { target: s.rest(), attribute: 'password expiry' })
      }
      if (s.lit('changed user ')) {
        const user = s.quoted()
        if (user === undefined) return undefined
        if (s.lit(' information')) return fact('modified-user-account', 'user', 'change', { target: user, attribute: 'information' })
        if (s.lit(' shell to ')) return fact('modified-user-account', 'user', 'change', { target: user, attribute: 'shell', to: s.quoted() })
        return undefined
      }
      if (s.lit('change ')) {
        // usermod: `change '<old>' to '<new>' in [shadow ]group '<group>'` (a member renamed).
        const from = s.quoted()
        if (from === undefined || !s.lit(' to ')) return undefined
        const to = s.quoted()
        if (!s.lit(' in ')) return undefined
        const shadow = s.lit('shadow ')
        if (!s.lit('group ')) return undefined
        const group = s.quoted()
        return fact(shadow ? undefined : 'modified-group-account', 'group', 'change', {
          group,
          target: from,
          attribute: 'member',
          from,
          to,
          ...(shadow && { file: '/etc/gshadow' }),
        })
      }
      if (s.lit("can't change shell for ")) {
        return fact('modified-user-account', 'user', 'change', { target: s.quoted(), attribute: 'shell' }, false)
      }
      return undefined
    case 100: // d
      if (s.lit('delete user ')) {
        const user = s.quoted()
        return user === undefined ? undefined : fact('deleted-user-account', 'user', 'deletion', { target: user })
      }
      if (s.lit('delete ')) return membership(s, false)
      return undefined
    case 102: // f
      if (s.lit('failed adding user ')) {
        const user = s.quoted()
        if (user === undefined) return undefined
        return fact('added-user-account', 'user', 'creation', { target: user, reason: s.rest().replace(/^, /, '') }, false)
      }
      if (s.lit('failed to ')) {
        // lib/cleanup_*.c: a change that failed half-way.
        const what = s.rest()
        for (const [prefix, object, verb, action] of [
          ['add user ', 'user', 'creation', 'added-user-account'],
          ['add group ', 'group', 'creation', 'added-group-account'],
          ['remove group ', 'group', 'deletion', 'deleted-group-account'],
        ] as const) {
          if (what.startsWith(prefix)) {
            const body = what.slice(prefix.length)
            const sp = body.indexOf(' ')
            const name = sp === -1 ? body : body.slice(0, sp)
            const file = sp === -1 ? undefined : body.slice(body.indexOf(' ', sp + 1) + 1)
            return fact(action, object, verb, object === 'user' ? { target: name, file } : { group: name, file }, false)
          }
        }
        if (what.startsWith('change ')) {
          const body = what.slice(7)
          const open = body.indexOf(' (')
          if (open === -1 || !body.endsWith(')')) return undefined
          return describedGroup(fact('modified-group-account', 'group', 'change', { file: body.slice(0, open) }, false), body.slice(open + 2, -1))
        }
        if (what.startsWith('reset the tallylog entry of user ')) {
          return fact('modified-user-account', 'user', 'change', { target: what.slice(34).replace(/^"|"$/g, ''), attribute: 'tallylog' }, false)
        }
        if (what.startsWith('prepare the new ')) return undefined
        return undefined
      }
      return undefined
    case 103: // g
      if (s.lit('group added to ')) {
        const file = s.until(': ')
        if (file === undefined) return undefined
        const kv = pairs(s.rest())
        const group = kv.get('name')
        if (group === undefined) return undefined
        return fact(undefined, 'group', 'creation', { group, groupId: kv.get('GID'), file })
      }
      if (s.lit('group changed in ')) {
        const file = s.until(' (')
        if (file === undefined || !s.t.endsWith(')')) return undefined
        const desc = s.t.slice(s.i, -1)
        // The /etc/group line states the change; /etc/gshadow and /etc/passwd repeat it.
        return describedGroup(fact(file === '/etc/group' ? 'modified-group-account' : undefined, 'group', 'change', { file }), desc)
      }
      if (s.lit('group ')) {
        // groupdel 4.2+: `group '<g>' removed from <file>`, then `group '<g>' removed`.
        const group = s.quoted()
        if (group === undefined || !s.lit(' removed')) return undefined
        if (s.done) return fact('deleted-group-account', 'group', 'deletion', { group })
        if (s.lit(' from ')) return fact(undefined, 'group', 'deletion', { group, file: s.rest() })
        return undefined
      }
      return undefined
    case 105: // i
      if (s.lit('incorrect password for ')) {
        return fact('changed-password', 'user', 'change', { target: s.rest(), reason: 'incorrect password' }, false)
      }
      return undefined
    case 108: // l
      if (s.lit('lock user ')) {
        const user = s.quoted()
        if (user === undefined || !s.lit(' password')) return undefined
        return fact('modified-user-account', 'user', 'change', { target: user, attribute: 'password', reason: 'password locked' })
      }
      return undefined
    case 109: // m
      if (s.lit('members of group ')) {
        const group = s.until(' set by ')
        const actor = s.until(' to ')
        if (group === undefined || actor === undefined) return undefined
        return gpasswdSuffix(fact('modified-group-account', 'group', 'change', { group, actor, reason: 'members set' }), s.rest(), 'members')
      }
      return undefined
    case 110: // n
      if (s.lit('new user: ')) {
        const kv = pairs(s.rest())
        const user = kv.get('name')
        if (user === undefined) return undefined
        const from = kv.get('from')
        return fact('added-user-account', 'user', 'creation', {
          target: user,
          targetId: kv.get('UID'),
          groupId: kv.get('GID'),
          home: kv.get('home'),
          shell: kv.get('shell'),
          ...(from !== undefined && from !== 'none' && { tty: from }),
        })
      }
      if (s.lit('new group: ')) {
        const kv = pairs(s.rest())
        const group = kv.get('name')
        if (group === undefined) return undefined
        return fact('added-group-account', 'group', 'creation', { group, groupId: kv.get('GID') })
      }
      if (s.lit('now < minimum age for ')) {
        return fact('changed-password', 'user', 'change', { target: s.quoted(), reason: 'minimum password age not reached' }, false)
      }
      return undefined
    case 112: // p
      if (s.lit('password for ')) {
        const user = s.quoted()
        if (user === undefined || !s.lit(' changed by ')) return undefined
        return fact('changed-password', 'user', 'change', { target: user, actor: s.quoted() })
      }
      if (s.lit('password locked for ')) {
        return fact('modified-user-account', 'user', 'change', { target: s.quoted(), attribute: 'password', reason: 'password locked' })
      }
      if (s.lit('password of group ')) {
        const group = s.until(' ')
        if (group === undefined) return undefined
        const removed = s.lit('removed by ')
        if (!removed && !s.lit('changed by ')) return undefined
        return gpasswdSuffix(
          fact('modified-group-account', 'group', 'change', { group, reason: removed ? 'password removed' : 'password changed' }),
          s.rest(),
          'actor',
        )
      }
      return undefined
    case 114: // r
      if (s.lit('removed ')) {
        // userdel: the user's own group, `removed [shadow ]group '<g>' owned by '<user>'`.
        const shadow = s.lit('shadow ')
        if (!s.lit('group ')) return undefined
        const group = s.quoted()
        if (group === undefined || !s.lit(' owned by ')) return undefined
        return fact(shadow ? undefined : 'deleted-group-account', 'group', 'deletion', {
          group,
          target: s.quoted(),
          ...(shadow && { file: '/etc/gshadow' }),
        })
      }
      if (s.lit('remove group ')) {
        const group = s.quoted()
        return group === undefined ? undefined : fact('deleted-group-account', 'group', 'deletion', { group })
      }
      if (s.lit('remove member ')) {
        const user = s.until(' from group ')
        const group = s.until(' by ')
        if (user === undefined || group === undefined) return undefined
        return fact('removed-member-from-group', 'group', 'change', { target: user, group, actor: s.rest() })
      }
      if (s.lit('remove password from group ')) {
        const group = s.until(' by ')
        if (group === undefined) return undefined
        return fact('modified-group-account', 'group', 'change', { group, actor: s.rest(), reason: 'password removed' })
      }
      if (s.lit('restrict access to group ')) {
        const group = s.until(' by ')
        if (group === undefined) return undefined
        return fact('modified-group-account', 'group', 'change', { group, actor: s.rest(), reason: 'access restricted' })
      }
      return undefined
    case 115: // s
      if (s.lit('set administrators of ') || s.lit('set members of ')) {
        const admins = text.startsWith('set a')
        const group = s.until(' to ')
        if (group === undefined) return undefined
        return fact('modified-group-account', 'group', 'change', { group, members: s.rest(), reason: admins ? 'administrators set' : 'members set' })
      }
      return undefined
    case 117: // u
      if (s.lit('user ')) {
        // gpasswd: `user <u> added by <caller> to group <g>[ in <file>]`, `user <u> removed by <caller> from group <g>[ in <file>]`.
        const user = s.until(' ')
        if (user === undefined) return undefined
        const added = s.lit('added by ')
        if (!added && !s.lit('removed by ')) return undefined
        const actor = s.until(added ? ' to group ' : ' from group ')
        if (actor === undefined) return undefined
        return gpasswdSuffix(
          fact(added ? 'added-member-to-group' : 'removed-member-from-group', 'group', 'change', { target: user, actor }),
          s.rest(),
          'group',
        )
      }
      if (s.lit('unlock user ')) {
        const user = s.quoted()
        if (user === undefined || !s.lit(' password')) return undefined
        return fact('modified-user-account', 'user', 'change', { target: user, attribute: 'password', reason: 'password unlocked' })
      }
      return undefined
    default:
      return undefined
  }
}

/** gpasswd's failures: `<caller> failed to add user <u> to group <g>…`, `… to remove user <u> from group <g>…`. */
function callerFailure(text: string): Fact | undefined {
  const f = text.indexOf(' failed to ')
  if (f <= 0 || text.indexOf(' ') !== f) return undefined
  const actor = text.slice(0, f)
  const t = new Scan(text.slice(f + 11))
  if (t.lit('add user ') || t.lit('remove user ')) {
    const added = text.startsWith('add', f + 11)
    const user = t.until(added ? ' to group ' : ' from group ')
    if (user === undefined) return undefined
    return gpasswdSuffix(
      fact(added ? 'added-member-to-group' : 'removed-member-from-group', 'group', 'change', { target: user, actor }, false),
      t.rest(),
      'group',
    )
  }
  for (const [prefix, reason] of [
    ['remove password of group ', 'password removed'],
    ['restrict access to group ', 'access restricted'],
    ['change password of group ', 'password changed'],
  ] as const) {
    if (t.lit(prefix)) {
      return gpasswdSuffix(fact('modified-group-account', 'group', 'change', { actor, reason }, false), t.rest(), 'group')
    }
  }
  for (const [prefix, reason] of [
    ['set the administrators of group ', 'administrators set'],
    ['set the members of group ', 'members set'],
  ] as const) {
    if (t.lit(prefix)) {
      const group = t.until(' to ')
      if (group === undefined) return undefined
      return gpasswdSuffix(fact('modified-group-account', 'group', 'change', { actor, group, reason }, false), t.rest(), 'members')
    }
  }
  return undefined
}

/** gpasswd's tail: the last name, then ` in <file>` when the line is one database's. */
function gpasswdSuffix(f: Fact, text: string, last: 'group' | 'actor' | 'members'): Fact {
  // A failure ends with `: <why>` (`: Permission denied`).
  const why = f.ok ? -1 : text.indexOf(': ')
  const tail = why === -1 ? text : text.slice(0, why)
  if (why !== -1) f.reason = text.slice(why + 2)
  const inFile = tail.lastIndexOf(' in /')
  const value = inFile === -1 ? tail : tail.slice(0, inFile)
  if (last === 'group') f.group = value
  else if (last === 'actor') f.actor = value
  else f.members = value
  if (inFile !== -1) {
    f.file = tail.slice(inFile + 4)
    if (f.ok) f.action = undefined
  }
  return f
}

/** groupmod's description of a change: `group <name>/<gid>, new name: <x>, new gid: <n>…`. */
function describedGroup(f: Fact, desc: string): Fact {
  if (desc.startsWith('group ')) {
    const end = desc.indexOf(',')
    const id = end === -1 ? desc.slice(6) : desc.slice(6, end)
    const slash = id.indexOf('/')
    f.group = slash === -1 ? id : id.slice(0, slash)
    if (slash !== -1) f.groupId = id.slice(slash + 1)
    if (end !== -1) f.reason = desc.slice(end + 2)
  } else {
    f.reason = desc
  }
  return f
}

export function isShadow(text: string): boolean {
  return shadowFact(text) !== undefined
}

export function readShadow(out: Out, text: string): void {
  const f = shadowFact(text)!
  classify(out, {
    ...(f.action !== undefined && { action: f.action }),
    category: ['iam'],
    type: [f.object, f.verb],
    outcome: f.ok ? 'success' : 'failure',
  })
  set(out, 'user.target.name', f.target)
  set(out, 'user.target.id', f.targetId)
  set(out, 'user.name', f.actor)
  set(out, 'group.name', f.group)
  set(out, 'group.id', f.groupId)
  set(out, 'file.path', f.file)
  set(out, 'event.reason', f.reason)
  if (f.attribute !== undefined) {
    set(out, 'system.auth.change.attribute', f.attribute)
    set(out, 'system.auth.change.from', f.from)
    set(out, 'system.auth.change.to', f.to)
    if (f.attribute === 'name') set(out, f.object === 'user' ? 'user.changes.name' : 'system.auth.change.to', f.to)
    if (f.attribute === 'UID') {
      set(out, 'user.target.id', f.from)
      set(out, 'user.changes.id', f.to)
    }
  }
  if (f.members !== undefined) {
    const list = f.members.split(',').filter((m) => m !== '')
    set(out, 'system.auth.group.members', list.length > 0 ? list : undefined)
    relateUser(out, ...list)
  }
  set(out, 'system.auth.useradd.home', f.home)
  set(out, 'system.auth.useradd.shell', f.shell)
  set(out, 'system.auth.useradd.tty', f.tty)
  relateUser(out, f.target, f.actor)
  if (f.attribute === 'name' && f.object === 'user') relateUser(out, f.to)
}
