// Made-up but realistic syslog lines for throughput benchmarks: a mix of RFC 3164 and RFC 5424
// shapes, 150–400 bytes, documentation addresses only (RFC 5737: 192.0.2.0/24, 198.51.100.0/24,
// 203.0.113.0/24). Every line is a pure function of its sequence number, so a benchmark can
// rebuild or check any of them without keeping the corpus, and every line carries `seq=<n>` once,
// in the free-text message part, so loss and duplication can be counted in any receiver's output.

/** The token a receiver's output line is searched for; the number is the message's sequence. */
export const SEQ_PATTERN: RegExp = /\bseq=(\d+)\b/

/** Shapes of the corpus and their share of lines, in percent. */
export const SHAPES: ReadonlyArray<{ name: string; format: 'RFC 3164' | 'RFC 5424'; percent: number }> = [
  { name: 'sshd auth failure', format: 'RFC 3164', percent: 25 },
  { name: 'kernel firewall drop', format: 'RFC 3164', percent: 20 },
  { name: 'firewall session CSV', format: 'RFC 3164', percent: 10 },
  { name: 'nginx access with structured data', format: 'RFC 5424', percent: 30 },
  { name: 'sudo command', format: 'RFC 5424', percent: 15 },
]

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec']
const USERS = ['alice', 'bob', 'carol', 'dave', 'erin', 'frank', 'grace', 'heidi', 'ivan', 'judy', 'mallory', 'oscar']
const PATHS = [
  '/api/v1/items',
  '/api/v1/orders',
  '/login',
  '/static/app.js',
  '/healthz',
  '/api/v2/search',
  '/cart',
  '/img/logo.png',
]
const METHODS = ['GET', 'GET', 'GET', 'POST', 'PUT', 'DELETE']
const STATUSES = [200, 200, 200, 201, 204, 301, 304, 400, 401, 403, 404, 500, 502]
const AGENTS = [
  'Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Firefox/128.0',
  'Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/126.0 Safari/537.36',
  'curl/8.5.0',
  'python-requests/2.32.3',
]
const COMMANDS = [
  '/usr/bin/systemctl restart nginx',
  '/usr/bin/apt-get install -y --only-upgrade openssl',
  '/usr/bin/journalctl -u sshd --since today',
  '/bin/cat /etc/shadow',
  '/usr/sbin/iptables -L -n -v',
]
const APPS = ['web', 'db', 'mail', 'vpn', 'dns', 'ntp', 'ssh', 'ldap']
const NETS = ['192.0.2.', '198.51.100.', '203.0.113.']
// Base time of the corpus; each message is 1 ms later than the one before.
const BASE_MS = Date.UTC(2025, 2, 5, 7, 0, 0)

/** A cheap 32-bit integer hash (lowbias32), so the corpus is deterministic without a PRNG state. */
function hash(n: number): number {
  let x = n >>> 0
  x ^= x >>> 16
  x = Math.imul(x, 0x7feb352d)
  x ^= x >>> 15
  x = Math.imul(x, 0x846ca68b)
  x ^= x >>> 16
  return x >>> 0
}

function pick<T>(list: readonly T[], h: number): T {
  return list[h % list.length]!
}

function ip(h: number): string {
  return NETS[h % 3]! + (1 + ((h >>> 2) % 254))
}

function pad2(n: number): string {
  return n < 10 ? '0' + n : String(n)
}

/** RFC 3164 §4.1.2 TIMESTAMP: "Mmm dd hh:mm:ss", day space-padded. */
function bsdTime(d: Date): string {
  const day = d.getUTCDate()
  return `${MONTHS[d.getUTCMonth()]} ${day < 10 ? ' ' + day : day} ${pad2(d.getUTCHours())}:${pad2(
    d.getUTCMinutes()
  )}:${pad2(d.getUTCSeconds())}`
}

/** One syslog line (without the LF) for sequence number `seq`. */
export function syslogLine(seq: number): string {
  const h = hash(seq)
  const h2 = hash(seq ^ 0x9e3779b9)
  const d = new Date(BASE_MS + seq)
  const roll = h % 100
  if (roll < 25) {
    // RFC 3164, facility authpriv(10), severity warning/notice.
    const pri = 10 * 8 + (h2 & 1 ? 4 : 5)
    const user = pick(USERS, h2 >>> 3)
    const head = `<${pri}>${bsdTime(d)} bastion-${pad2((h >>> 8) % 12)}.corp.example.com sshd[${
      1000 + ((h2 >>> 5) % 60000)
    }]:`
    if (h2 & 2) {
      return `${head} pam_unix(sshd:auth): authentication failure; logname= uid=0 euid=0 tty=ssh ruser= rhost=${ip(
        h2 >>> 7
      )}  user=${user} seq=${seq}`
    }
    return `${head} Failed password for invalid user ${user} from ${ip(h2 >>> 7)} port ${
      1024 + ((h >>> 11) % 64000)
    } ssh2 [preauth] seq=${seq}`
  }
  if (roll < 45) {
    // RFC 3164, facility kern(0), severity warning; netfilter LOG target format.
    const proto = h2 & 1 ? 'TCP' : 'UDP'
    return `<4>${bsdTime(d)} edge-gw${(h >>> 8) % 4} kernel: [${(seq / 1000).toFixed(
      3
    )}] DROP IN=eth0 OUT= MAC=52:54:00:12:34:56:52:54:00:65:43:21:08:00 SRC=${ip(h2)} DST=${ip(h >>> 9)} LEN=${
      40 + (h2 % 1400)
    } TOS=0x00 PREC=0x00 TTL=${32 + (h % 96)} ID=${h2 % 65536} DF PROTO=${proto} SPT=${
      1024 + ((h2 >>> 4) % 64000)
    } DPT=${pick([22, 23, 80, 443, 445, 3389, 8080], h >>> 13)} WINDOW=64240 RES=0x00 SYN URGP=0 seq=${seq}`
  }
  if (roll < 55) {
    // RFC 3164, facility local0(16), severity info; a made-up firewall's session CSV.
    const pri = 16 * 8 + 6
    const action = h2 & 1 ? 'allow' : 'deny'
    return `<${pri}>${bsdTime(d)} fw-${pad2((h >>> 8) % 6)} acmefw: 1,${d.toISOString()},SESSION,end,${ip(h2)},${ip(
      h >>> 5
    )},${ip(h2 >>> 9)},${ip(h >>> 12)},rule-${(h2 >>> 3) % 200},${pick(USERS, h >>> 7)},${pick(
      APPS,
      h2 >>> 11
    )},vsys1,trust,untrust,ethernet1/${1 + (h % 8)},ethernet1/${1 + (h2 % 8)},${(h >>> 3) % 1000000},${
      1024 + (h2 % 64000)
    },${pick([53, 80, 123, 443, 993], h >>> 17)},tcp,${action},${h % 100000},${h2 % 500000},${(h >>> 4) % 600},${pick(
      ['aged-out', 'tcp-fin', 'tcp-rst-from-client', 'policy-deny'],
      h2 >>> 15
    )},${(h >>> 9) % 400},${(h2 >>> 6) % 400},0x${((h2 ^ h) >>> 0).toString(16)},${pick(
      ['US', 'DE', 'FR', 'JP', 'BR'],
      h >>> 19
    )},${pick(['US', 'GB', 'NL', 'SG', 'AU'], h2 >>> 19)},seq=${seq}`
  }
  if (roll < 85) {
    // RFC 5424 §6 with STRUCTURED-DATA, facility local4(20), severity info/notice.
    const pri = 20 * 8 + (h2 & 1 ? 6 : 5)
    const status = pick(STATUSES, h2 >>> 3)
    const frac = String(seq % 1000).padStart(3, '0')
    const ts = d.toISOString().slice(0, 19) + '.' + frac + '123+00:00'
    return `<${pri}>1 ${ts} web-${pad2((h >>> 8) % 16)}.example.net nginx ${2000 + (h % 3000)} ACCESS [req@32473 id="${(
      h2 >>> 0
    ).toString(16)}" upstream="${ip(h >>> 6)}:8080" rt="0.${String(h2 % 1000).padStart(3, '0')}"] ${ip(h2 >>> 4)} - ${
      h & 4 ? pick(USERS, h2) : '-'
    } "${pick(METHODS, h >>> 10)} ${pick(PATHS, h2 >>> 12)}/${h % 10000} HTTP/1.1" ${status} ${
      100 + (h2 % 90000)
    } "${pick(AGENTS, h >>> 14)}" seq=${seq}`
  }
  // RFC 5424 §6 without STRUCTURED-DATA, facility authpriv(10), severity notice.
  const user = pick(USERS, h2)
  return `<85>1 ${d.toISOString()} app-${pad2((h >>> 8) % 20)}.prod.example.org sudo ${
    3000 + (h2 % 20000)
  } - - ${user} : TTY=pts/${h2 % 8} ; PWD=/home/${user} ; USER=root ; COMMAND=${pick(COMMANDS, h >>> 12)} seq=${seq}`
}
