// The alert text Snort 2 and 3 (alert_syslog, alert_fast) and Suricata (alert-syslog, fast.log)
// write, after the time or the syslog header:
//
//   Snort syslog:   [gid:sid:rev] MSG [Classification: C] [Priority: P] <IFACE> {PROTO} SRC -> DST
//   Suricata:       [Drop] [gid:sid:rev] MSG [Classification: C] [Priority: P] {PROTO} SRC -> DST
//   alert_fast:     [**] [gid:sid:rev] MSG [**] [Classification: C] [Priority: P] {PROTO} SRC -> DST
//
// Snort 2's spo_alert_syslog.c leaves out the classification and priority when the rule has none
// and the interface unless `-I`; Snort 3 quotes MSG; Suricata prefixes `[Drop] ` or `[wDrop] `
// when the packet was (or would have been) dropped, and writes a decoder event without addresses
// as `[**] [Raw pkt: …]`.

/** What the alert text says; fields stay '' or -1 when absent. */
export interface Alert {
  /** `drop` or `wdrop` (Suricata's `[Drop]`, `[wDrop]`), '' when not given. */
  action: string
  gid: number
  sid: string
  rev: string
  message: string
  classification: string
  priority: number
  iface: string
  proto: string
  src: string
  dst: string
  /** Why the text could only be partly read, or ''. */
  problem: string
}

function uint(text: string, from: number, to: number): number {
  if (to <= from || to - from > 15) return -1
  let v = 0
  for (let i = from; i < to; i++) {
    const d = text.charCodeAt(i) - 48
    if (!(d >= 0 && d <= 9)) return -1
    v = v * 10 + d
  }
  return v
}

/**
 * Whether `[gid:sid:rev]` starts at `i`; returns the index after `]`, or -1. Fills the ids of
 * `into` when given.
 */
export function readIds(text: string, i: number, into?: Alert): number {
  if (text.charCodeAt(i) !== 91 /* [ */) return -1
  const c1 = text.indexOf(':', i + 1)
  if (c1 === -1 || c1 - i > 12) return -1
  const c2 = text.indexOf(':', c1 + 1)
  if (c2 === -1 || c2 - c1 > 12) return -1
  const end = text.indexOf(']', c2 + 1)
  if (end === -1 || end - c2 > 12) return -1
  const gid = uint(text, i + 1, c1)
  if (gid < 0 || uint(text, c1 + 1, c2) < 0 || uint(text, c2 + 1, end) < 0) return -1
  if (into !== undefined) {
    into.gid = gid
    into.sid = text.slice(c1 + 1, c2)
    into.rev = text.slice(c2 + 1, end)
  }
  return end + 1
}

/** The length of a Suricata action tag (`[Drop] `, `[wDrop] `) at `i`, or 0. */
export function actionTag(text: string, i: number): number {
  if (text.startsWith('[Drop] ', i)) return 7
  if (text.startsWith('[wDrop] ', i)) return 8
  return 0
}

/**
 * Where the alert text starts in a syslog message body (after an optional action tag, and an
 * optional `[**] `), or -1 when the body is not an alert.
 */
export function alertStart(text: string, i: number): number {
  const start = i
  i += actionTag(text, i)
  if (text.startsWith('[**] ', i)) i += 5
  return readIds(text, i) === -1 ? -1 : start
}

const CLASSIFICATION = ' [Classification: '
const PRIORITY = ' [Priority: '
const FAST_SEP = ' [**]'

/** Reads the alert text from `i` to the end of `text` (the caller has checked `alertStart`). */
export function readAlert(text: string, i: number): Alert {
  const a: Alert = {
    action: '',
    gid: -1,
    sid: '',
    rev: '',
    message: '',
    classification: '',
    priority: -1,
    iface: '',
    proto: '',
    src: '',
    dst: '',
    problem: '',
  }
  const tag = actionTag(text, i)
  if (tag === 7) a.action = 'drop'
  else if (tag === 8) a.action = 'wdrop'
  i += tag
  const fast = text.startsWith('[**] ', i)
  if (fast) i += 5
  const afterIds = readIds(text, i, a)
  if (afterIds === -1) {
    a.problem = 'no [gid:sid:rev] where the alert starts'
    return a
  }
  const msgStart = text.charCodeAt(afterIds) === 32 ? afterIds + 1 : afterIds
  let end = text.length
  while (end > msgStart && text.charCodeAt(end - 1) === 32) end--

  // The tail is fixed; the message is free text. Read the tail from the right, so that brackets
  // or braces inside the message do not matter.
  let stop = end
  const brace = text.lastIndexOf(' {', end)
  if (brace >= msgStart) {
    const close = text.indexOf('} ', brace + 2)
    if (close !== -1 && close < end) {
      a.proto = text.slice(brace + 2, close)
      const rest = text.slice(close + 2, end)
      const arrow = rest.indexOf(' -> ')
      if (arrow === -1) {
        a.src = rest
        a.problem = 'the line ends before the destination address'
      } else {
        a.src = rest.slice(0, arrow)
        a.dst = rest.slice(arrow + 4)
      }
      stop = brace
    } else if (text.indexOf('}', brace + 2) === end - 1) {
      a.proto = text.slice(brace + 2, end - 1)
      a.problem = 'the line ends before the addresses'
      stop = brace
    }
  }
  const rawPkt = text.lastIndexOf(' [**] [Raw pkt: ', stop)
  if (a.proto === '' && rawPkt >= msgStart) stop = rawPkt
  // `<iface>` (Snort 2 with -I), then `[Priority: n]` with the ':' some builds add.
  if (stop > msgStart && text.charCodeAt(stop - 1) === 62 /* > */) {
    const open = text.lastIndexOf(' <', stop)
    if (open >= msgStart) {
      a.iface = text.slice(open + 2, stop - 1)
      stop = open
    }
  }
  if (text.charCodeAt(stop - 1) === 58) stop--
  if (text.charCodeAt(stop - 1) === 93 /* ] */) {
    const p = text.lastIndexOf(PRIORITY, stop)
    if (p >= msgStart) {
      a.priority = uint(text, p + PRIORITY.length, stop - 1)
      stop = p
    }
  }
  if (text.charCodeAt(stop - 1) === 93) {
    const c = text.lastIndexOf(CLASSIFICATION, stop)
    if (c >= msgStart) {
      a.classification = text.slice(c + CLASSIFICATION.length, stop - 1)
      stop = c
    }
  }
  if (fast) {
    const sep = text.lastIndexOf(FAST_SEP, stop)
    if (sep >= msgStart && sep + FAST_SEP.length === stop) stop = sep
    else if (a.proto !== '' && a.problem === '') a.problem = 'no [**] after the message'
  }
  if (a.proto === '' && rawPkt < msgStart) {
    // Cut short: the message ends at the first part of the tail that is left, if any.
    for (const mark of [FAST_SEP, CLASSIFICATION, PRIORITY]) {
      const m = text.indexOf(mark, msgStart)
      if (m !== -1 && m < stop) stop = m
    }
  }
  let message = text.slice(msgStart, stop)
  // Snort 3 quotes the message.
  if (message.length >= 2 && message.charCodeAt(0) === 34 && message.charCodeAt(message.length - 1) === 34) {
    message = message.slice(1, -1)
  }
  a.message = message
  if (a.proto === '' && rawPkt < msgStart && a.problem === '') a.problem = 'the line ends before the protocol and addresses'
  return a
}
