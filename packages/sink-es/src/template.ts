import { createHash } from 'node:crypto'
import type { Client } from '@elastic/elasticsearch'
import { canonicalJson } from './document.ts'

/**
 * ECS field types (https://www.elastic.co/guide/en/ecs/current/ecs-field-reference.html) for the
 * fields beer's parsers, the syslog header and the enrichers emit, plus the common ECS fields
 * around them. Everything else is mapped by the dynamic templates below: strings as keyword.
 * Only field types every Elasticsearch distribution has (no match_only_text, wildcard or
 * constant_keyword, which live in x-pack modules): `message` is `text`.
 */
const FIELDS: Record<string, string> = {
  '@timestamp': 'date',
  message: 'text',
  tags: 'keyword',
  'ecs.version': 'keyword',
  'event.action': 'keyword',
  'event.category': 'keyword',
  'event.code': 'keyword',
  'event.created': 'date',
  'event.dataset': 'keyword',
  'event.duration': 'long',
  'event.end': 'date',
  'event.hash': 'keyword',
  'event.id': 'keyword',
  'event.ingested': 'date',
  'event.kind': 'keyword',
  'event.module': 'keyword',
  'event.original': 'original',
  'event.outcome': 'keyword',
  'event.provider': 'keyword',
  'event.reason': 'keyword',
  'event.risk_score': 'float',
  'event.sequence': 'long',
  'event.severity': 'long',
  'event.start': 'date',
  'event.timezone': 'keyword',
  'event.type': 'keyword',
  'log.level': 'keyword',
  'log.logger': 'keyword',
  'log.file.path': 'keyword',
  'log.source.address': 'keyword',
  'log.syslog.priority': 'long',
  'log.syslog.facility.code': 'long',
  'log.syslog.facility.name': 'keyword',
  'log.syslog.severity.code': 'long',
  'log.syslog.severity.name': 'keyword',
  'log.syslog.hostname': 'keyword',
  'log.syslog.appname': 'keyword',
  'log.syslog.procid': 'keyword',
  'log.syslog.msgid': 'keyword',
  'log.syslog.version': 'keyword',
  'network.application': 'keyword',
  'network.bytes': 'long',
  'network.community_id': 'keyword',
  'network.direction': 'keyword',
  'network.iana_number': 'keyword',
  'network.packets': 'long',
  'network.protocol': 'keyword',
  'network.transport': 'keyword',
  'network.type': 'keyword',
  'observer.hostname': 'keyword',
  'observer.ip': 'ip',
  'observer.name': 'keyword',
  'observer.product': 'keyword',
  'observer.serial_number': 'keyword',
  'observer.type': 'keyword',
  'observer.vendor': 'keyword',
  'observer.version': 'keyword',
  'observer.ingress.zone': 'keyword',
  'observer.ingress.interface.name': 'keyword',
  'observer.egress.zone': 'keyword',
  'observer.egress.interface.name': 'keyword',
  'host.domain': 'keyword',
  'host.hostname': 'keyword',
  'host.id': 'keyword',
  'host.ip': 'ip',
  'host.mac': 'keyword',
  'host.name': 'keyword',
  'host.os.family': 'keyword',
  'host.os.full': 'keyword',
  'host.os.name': 'keyword',
  'host.os.version': 'keyword',
  'user.domain': 'keyword',
  'user.email': 'keyword',
  'user.full_name': 'keyword',
  'user.id': 'keyword',
  'user.name': 'keyword',
  'user.target.name': 'keyword',
  'user_agent.original': 'keyword',
  'related.hash': 'keyword',
  'related.hosts': 'keyword',
  'related.ip': 'ip',
  'related.user': 'keyword',
  'process.args': 'keyword',
  'process.command_line': 'keyword',
  'process.executable': 'keyword',
  'process.name': 'keyword',
  'process.pid': 'long',
  'process.parent.name': 'keyword',
  'process.parent.pid': 'long',
  'file.extension': 'keyword',
  'file.hash.md5': 'keyword',
  'file.hash.sha1': 'keyword',
  'file.hash.sha256': 'keyword',
  'file.name': 'keyword',
  'file.path': 'keyword',
  'file.size': 'long',
  'file.type': 'keyword',
  'url.domain': 'keyword',
  'url.extension': 'keyword',
  'url.full': 'keyword',
  'url.original': 'keyword',
  'url.path': 'keyword',
  'url.port': 'long',
  'url.query': 'keyword',
  'url.scheme': 'keyword',
  'http.request.method': 'keyword',
  'http.request.referrer': 'keyword',
  'http.request.bytes': 'long',
  'http.response.bytes': 'long',
  'http.response.status_code': 'long',
  'dns.question.name': 'keyword',
  'dns.question.type': 'keyword',
  'dns.response_code': 'keyword',
  'dns.resolved_ip': 'ip',
  'email.from.address': 'keyword',
  'email.subject': 'keyword',
  'email.to.address': 'keyword',
  'error.code': 'keyword',
  'error.message': 'text',
  'error.type': 'keyword',
  'rule.category': 'keyword',
  'rule.id': 'keyword',
  'rule.name': 'keyword',
  'rule.ruleset': 'keyword',
  'rule.uuid': 'keyword',
  'tls.cipher': 'keyword',
  'tls.curve': 'keyword',
  'tls.version': 'keyword',
  'tls.version_protocol': 'keyword',
  'tls.client.server_name': 'keyword',
  'tls.server.hash.sha1': 'keyword',
  'tls.server.x509.issuer.common_name': 'keyword',
  'tls.server.x509.not_after': 'date',
  'tls.server.x509.not_before': 'date',
  'tls.server.x509.public_key_size': 'long',
  'tls.server.x509.serial_number': 'keyword',
  'tls.server.x509.subject.common_name': 'keyword',
  'tls.server.x509.version_number': 'keyword',
  // The runtime's own fields on events analyzers raise (docs/architecture.md).
  'beer.emitter': 'keyword',
  'beer.causes': 'keyword',
  'beer.hops': 'long',
  'beer.partial': 'boolean',
  // PAN-OS times the parser gives as ISO 8601, mapped as Elastic's panw integration maps them.
  'panw.panos.received_time': 'date',
  'panw.panos.high_resolution_timestamp': 'date',
}

/** Source, destination, client and server share the ECS endpoint fields. */
for (const side of ['source', 'destination', 'client', 'server']) {
  Object.assign(FIELDS, {
    [`${side}.address`]: 'keyword',
    [`${side}.domain`]: 'keyword',
    [`${side}.ip`]: 'ip',
    [`${side}.mac`]: 'keyword',
    [`${side}.port`]: 'long',
    [`${side}.bytes`]: 'long',
    [`${side}.packets`]: 'long',
    [`${side}.nat.ip`]: 'ip',
    [`${side}.nat.port`]: 'long',
    [`${side}.user.name`]: 'keyword',
    [`${side}.user.domain`]: 'keyword',
    [`${side}.as.number`]: 'long',
    [`${side}.as.organization.name`]: 'keyword',
    [`${side}.geo.location`]: 'geo_point',
    [`${side}.geo.city_name`]: 'keyword',
    [`${side}.geo.continent_name`]: 'keyword',
    [`${side}.geo.country_iso_code`]: 'keyword',
    [`${side}.geo.country_name`]: 'keyword',
    [`${side}.geo.region_iso_code`]: 'keyword',
    [`${side}.geo.region_name`]: 'keyword',
    [`${side}.geo.name`]: 'keyword',
  })
}

function mapping(type: string): Record<string, unknown> {
  switch (type) {
    case 'keyword':
      return { type: 'keyword', ignore_above: 1024 }
    case 'original':
      // ECS: kept in _source for reference, neither indexed nor aggregatable.
      return { type: 'keyword', index: false, doc_values: false }
    default:
      return { type }
  }
}

function properties(fields: Record<string, string>): Record<string, unknown> {
  const root: Record<string, unknown> = {}
  for (const [path, type] of Object.entries(fields)) {
    const parts = path.split('.')
    let node = root
    for (const p of parts.slice(0, -1)) {
      const child = (node[p] ??= { properties: {} }) as { properties: Record<string, unknown> }
      node = child.properties
    }
    node[parts[parts.length - 1]!] = mapping(type)
  }
  return root
}

/** Raise when the template changes, so an older one in a cluster is replaced. */
export const TEMPLATE_VERSION = 1

export interface TemplateSpec {
  name: string
  patterns: string[]
  priority: number
  settings: Record<string, unknown>
  dataStream: boolean
}

/** The composable index template (`PUT _index_template/<name>`) body. */
export function templateBody(spec: TemplateSpec): Record<string, unknown> {
  const body: Record<string, unknown> = {
    index_patterns: spec.patterns,
    priority: spec.priority,
    version: TEMPLATE_VERSION,
    template: {
      settings: { 'index.mapping.total_fields.limit': 10000, ...spec.settings },
      mappings: {
        // ECS dates are named; other date-looking strings stay keywords, so one field never flips type.
        date_detection: false,
        dynamic_templates: [
          { ecs_ip: { path_match: ['*.ip', 'related.ip'], match_mapping_type: 'string', mapping: { type: 'ip' } } },
          { ecs_geo_point: { path_match: '*.geo.location', mapping: { type: 'geo_point' } } },
          { ecs_counts: { path_match: ['*.port', '*.bytes', '*.packets'], mapping: { type: 'long' } } },
          { strings_as_keyword: { match_mapping_type: 'string', mapping: { type: 'keyword', ignore_above: 1024 } } },
        ],
        properties: properties(FIELDS),
      },
    },
  }
  if (spec.dataStream) body.data_stream = {}
  const hash = createHash('sha256').update(canonicalJson(body)).digest('hex').slice(0, 16)
  body._meta = { managed_by: 'beer', description: 'ECS mappings for events from beer (@beer/sink-es)', beer_template_hash: hash }
  return body
}

export type TemplateResult = 'installed' | 'updated' | 'unchanged'

/**
 * Installs the template unless the cluster already has this very one (same hash in `_meta`), so
 * starting many collectors does not rewrite the cluster state each time.
 */
export async function installTemplate(client: Client, spec: TemplateSpec): Promise<TemplateResult> {
  const body = templateBody(spec)
  const want = (body._meta as { beer_template_hash: string }).beer_template_hash
  let existed = false
  try {
    const res = await client.indices.getIndexTemplate({ name: spec.name })
    const have = res.index_templates[0]?.index_template as { _meta?: { beer_template_hash?: unknown } } | undefined
    existed = have !== undefined
    if (have?._meta?.beer_template_hash === want) return 'unchanged'
  } catch (err) {
    if ((err as { meta?: { statusCode?: number } }).meta?.statusCode !== 404) throw err
  }
  await client.indices.putIndexTemplate({ name: spec.name, ...body } as Parameters<Client['indices']['putIndexTemplate']>[0])
  return existed ? 'updated' : 'installed'
}
