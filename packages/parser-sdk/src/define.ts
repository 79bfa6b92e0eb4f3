import { describeModule } from '@beer/core'
import type { LogEvent, ModuleContext, ModuleDescriptor, Parser } from '@beer/core'
import type { SyslogMessage } from '@beer/syslog-header'

/**
 * A cheap, declarative first look, checked before `isMine`: a message passes when it matches
 * every condition given (and any one value within a condition). Most lines are refused here
 * without running the parser's own code.
 */
export interface Prefilter {
  /** `log.syslog.appname` (the RFC 3164 tag / RFC 5424 APP-NAME) is one of these. */
  appname?: readonly string[]
  /** The hostname starts with one of these. */
  hostnamePrefix?: readonly string[]
  /** The message (after the header) starts with one of these. */
  messagePrefix?: readonly string[]
  /** The message contains one of these. */
  messageIncludes?: readonly string[]
}

/** What a parser author writes: the two functions, built once per options. */
export interface ParserLogic {
  /** Cheap, pure, synchronous; never throws. */
  isMine(msg: SyslogMessage): boolean
  /** Deterministic (no clock: use `msg.receivedAt`); one event, several, or none. */
  parse(msg: SyslogMessage): LogEvent | LogEvent[] | null | undefined
}

/**
 * What a parser author writes when the claim test finds what `parse` needs anyway (where the
 * record starts, which grammar a line follows): `claim` returns it, anything but undefined claiming
 * the message, and `parse` gets it, so the work is done once per message. The parse stage asks
 * isMine, then parse, of the same message; a `parse` called alone (a test) gets `claim(msg)`.
 */
export interface ClaimingParserLogic<C> {
  /** Cheap, pure, synchronous; never throws. undefined refuses the message. */
  claim(msg: SyslogMessage): C | undefined
  /** Deterministic (no clock: use `msg.receivedAt`); `claim` is what claim(msg) found, undefined when it refused. */
  parse(msg: SyslogMessage, claim: C | undefined): LogEvent | LogEvent[] | null | undefined
}

export interface ParserDefinition<O> {
  /** The module name in status and commands, and the default factory name (`paloalto`). */
  name: string
  /** `import.meta.url` of the file that calls defineParser and exports `create`. */
  url: string
  prefilter?: Prefilter
  /** Builds the logic from the user's options (defaults applied by the author). */
  build(options: O, context: ModuleContext | undefined): ParserLogic
}

/** A definition whose logic claims with `claim` and hands what it found to `parse`. */
export interface ClaimingParserDefinition<O, C> extends Omit<ParserDefinition<O>, 'build'> {
  build(options: O, context: ModuleContext | undefined): ClaimingParserLogic<C>
}

export interface DefinedParser<O> {
  /** The factory users call in main.ts: returns a cloneable descriptor. */
  factory: (options?: O) => ModuleDescriptor<'parser', O>
  /** What the runtime calls in the place the user chose; export it as `create`. */
  create: (options: O, context?: ModuleContext) => Parser<SyslogMessage>
}

/**
 * Turns a parser's logic into the two exports a parser package has:
 *
 * ```ts
 * const parser = defineParser({ name: 'acme', url: import.meta.url, prefilter: { appname: ['acme-fw'] }, build: () => ({ isMine, parse }) })
 * export const acme = parser.factory
 * export const create = parser.create
 * ```
 */
export function defineParser<O = Record<string, never>>(def: ParserDefinition<O>): DefinedParser<O>
export function defineParser<O = Record<string, never>, C = unknown>(def: ClaimingParserDefinition<O, C>): DefinedParser<O>
export function defineParser<O, C>(def: ParserDefinition<O> | ClaimingParserDefinition<O, C>): DefinedParser<O> {
  return {
    factory: (options) => describeModule('parser', def.name, def.url, (options ?? {}) as O),
    create: (options, context) => {
      const logic: ParserLogic | ClaimingParserLogic<C> = def.build(options ?? ({} as O), context)
      const pass = prefilterOf(def.prefilter)
      if ('claim' in logic) return claiming(logic, pass)
      return {
        isMine(msg) {
          try {
            return pass(msg) && logic.isMine(msg) === true
          } catch {
            // isMine must never throw; a bug here is a refusal, not a crash.
            return false
          }
        },
        parse: (msg) => logic.parse(msg),
      }
    },
  }
}

function claiming<C>(logic: ClaimingParserLogic<C>, pass: (msg: SyslogMessage) => boolean): Parser<SyslogMessage> {
  // The claim found by isMine, for the parse of the same message that follows it (its frame and
  // text are compared too: a message object changed in between is looked at again). Held one message.
  let lastMsg: SyslogMessage | undefined
  let lastRaw = ''
  let lastText = ''
  let lastClaim: C | undefined
  const claim = (msg: SyslogMessage): C | undefined => {
    try {
      return pass(msg) ? logic.claim(msg) : undefined
    } catch {
      // The claim test must never throw; a bug here is a refusal, not a crash.
      return undefined
    }
  }
  return {
    isMine(msg) {
      lastMsg = undefined
      lastClaim = claim(msg)
      if (lastClaim === undefined) return false
      lastMsg = msg
      lastRaw = msg.raw
      lastText = msg.message
      return true
    },
    parse(msg) {
      const found = msg === lastMsg && msg.raw === lastRaw && msg.message === lastText ? lastClaim : claim(msg)
      lastMsg = undefined
      lastClaim = undefined
      return logic.parse(msg, found)
    },
  }
}

function prefilterOf(p: Prefilter | undefined): (msg: SyslogMessage) => boolean {
  if (!p) return () => true
  const checks: ((msg: SyslogMessage) => boolean)[] = []
  if (p.appname?.length) {
    const set = new Set(p.appname)
    checks.push((m) => set.has(m.appname))
  }
  if (p.hostnamePrefix?.length) {
    const list = p.hostnamePrefix
    checks.push((m) => list.some((x) => m.hostname.startsWith(x)))
  }
  if (p.messagePrefix?.length) {
    const list = p.messagePrefix
    checks.push((m) => list.some((x) => m.message.startsWith(x)))
  }
  if (p.messageIncludes?.length) {
    const list = p.messageIncludes
    checks.push((m) => list.some((x) => m.message.includes(x)))
  }
  return (m) => {
    for (let i = 0; i < checks.length; i++) if (!checks[i]!(m)) return false
    return true
  }
}
