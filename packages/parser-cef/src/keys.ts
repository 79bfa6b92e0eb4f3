// The CEF key dictionary ("Implementing ArcSight CEF", v25/v26, "ArcSight Extension Dictionary"):
// each key's short name, full name and type, and the ECS field it fills. The ECS targets follow
// Elastic's decode_cef mapping (filebeat x-pack processors/decode_cef, keys.ecs.go) except where
// noted in the README: a key without a target is only kept under `cef.extensions.<fullName>`.

export type KeyType = 'string' | 'int' | 'float' | 'ip' | 'ipv6' | 'mac' | 'time'

export interface KeySpec {
  /** The key's full name, under which `cef.extensions` keeps the value (as Elastic does). */
  full: string
  type: KeyType
  /** The ECS field the value fills, if any, and its path split at the dots. */
  ecs?: string
  path?: readonly string[]
  /** For the keys the parser reads again after the pass over the pairs: where it keeps the value. */
  slot?: number
}

/** The keys read again after the pass over the pairs (time zone, logon and kind rules…), by slot. */
export const SLOTS = [
  'deviceTimeZone', 'deviceReceiptTime', 'message', 'transportProtocol', 'deviceProcessId', 'deviceProcessName',
  'deviceDirection', 'requestContext', 'fileHash', 'oldFileHash', 'sourceUserName', 'destinationUserName',
  'sourceHostName', 'destinationHostName', 'deviceHostName', 'deviceEventCategory', 'deviceAction', 'eventOutcome',
  'requestUrl', 'sourceAddress', 'destinationAddress', 'filename', 'filePath',
] as const

export type SlotName = (typeof SLOTS)[number]

/** The slot of a key read again. */
export const SLOT: { readonly [K in SlotName]: number } = Object.fromEntries(SLOTS.map((name, i) => [name, i])) as { [K in SlotName]: number }

type Row = [short: string | null, full: string, type: KeyType, ecs?: string]

const ROWS: Row[] = [
  ['act', 'deviceAction', 'string'],
  ['app', 'applicationProtocol', 'string', 'network.application'],
  ['cnt', 'baseEventCount', 'int'],
  ['in', 'bytesIn', 'int', 'source.bytes'],
  ['out', 'bytesOut', 'int', 'destination.bytes'],
  ['cat', 'deviceEventCategory', 'string'],
  ['catdt', 'categoryDeviceType', 'string'],
  ['dst', 'destinationAddress', 'ip', 'destination.ip'],
  [null, 'destinationDnsDomain', 'string'],
  ['dlat', 'destinationGeoLatitude', 'float', 'destination.geo.location.lat'],
  ['dlong', 'destinationGeoLongitude', 'float', 'destination.geo.location.lon'],
  ['dhost', 'destinationHostName', 'string', 'destination.domain'],
  ['dmac', 'destinationMacAddress', 'mac', 'destination.mac'],
  ['dntdom', 'destinationNtDomain', 'string', 'destination.user.domain'],
  ['dpt', 'destinationPort', 'int', 'destination.port'],
  ['dpid', 'destinationProcessId', 'int'],
  ['dproc', 'destinationProcessName', 'string'],
  [null, 'destinationServiceName', 'string'],
  [null, 'destinationTranslatedAddress', 'ip', 'destination.nat.ip'],
  [null, 'destinationTranslatedPort', 'int', 'destination.nat.port'],
  [null, 'destinationTranslatedZoneExternalID', 'string'],
  [null, 'destinationTranslatedZoneURI', 'string'],
  ['duid', 'destinationUserId', 'string', 'destination.user.id'],
  ['duser', 'destinationUserName', 'string', 'destination.user.name'],
  ['dpriv', 'destinationUserPrivileges', 'string', 'destination.user.group.name'],
  [null, 'destinationZoneExternalID', 'string'],
  [null, 'destinationZoneURI', 'string'],
  ['dvc', 'deviceAddress', 'ip', 'observer.ip'],
  ['dvchost', 'deviceHostName', 'string', 'observer.hostname'],
  ['dvcmac', 'deviceMacAddress', 'mac', 'observer.mac'],
  // The device's process id and name fill ECS process.pid and .name (cef.ts).
  ['dvcpid', 'deviceProcessId', 'int'],
  [null, 'deviceProcessName', 'string'],
  [null, 'deviceDirection', 'int'],
  [null, 'deviceDnsDomain', 'string'],
  [null, 'deviceExternalId', 'string', 'observer.serial_number'],
  [null, 'deviceFacility', 'string'],
  [null, 'deviceInboundInterface', 'string', 'observer.ingress.interface.name'],
  [null, 'deviceOutboundInterface', 'string', 'observer.egress.interface.name'],
  [null, 'deviceNtDomain', 'string'],
  [null, 'devicePayloadId', 'string'],
  [null, 'deviceTranslatedAddress', 'ip'],
  [null, 'deviceTranslatedZoneExternalID', 'string'],
  [null, 'deviceTranslatedZoneURI', 'string'],
  [null, 'deviceZoneExternalID', 'string'],
  [null, 'deviceZoneURI', 'string'],
  ['dtz', 'deviceTimeZone', 'string', 'event.timezone'],
  ['rt', 'deviceReceiptTime', 'time'],
  ['start', 'startTime', 'time', 'event.start'],
  ['end', 'endTime', 'time', 'event.end'],
  [null, 'eventId', 'int'],
  ['externalId', 'externalId', 'string', 'event.id'],
  ['outcome', 'eventOutcome', 'string'],
  ['reason', 'reason', 'string', 'event.reason'],
  ['msg', 'message', 'string'],
  ['fname', 'filename', 'string', 'file.name'],
  ['filePath', 'filePath', 'string', 'file.path'],
  ['fsize', 'fileSize', 'int', 'file.size'],
  ['fileHash', 'fileHash', 'string'],
  ['fileId', 'fileId', 'string', 'file.inode'],
  ['fileType', 'fileType', 'string'],
  ['filePermission', 'filePermission', 'string'],
  ['fileCreateTime', 'fileCreateTime', 'time', 'file.created'],
  ['fileModificationTime', 'fileModificationTime', 'time', 'file.mtime'],
  ['oldFileName', 'oldFileName', 'string'],
  ['oldFilePath', 'oldFilePath', 'string'],
  ['oldFileSize', 'oldFileSize', 'int'],
  ['oldFileHash', 'oldFileHash', 'string'],
  ['oldFileId', 'oldFileId', 'string'],
  ['oldFileType', 'oldFileType', 'string'],
  ['oldFilePermission', 'oldFilePermission', 'string'],
  ['oldFileCreateTime', 'oldFileCreateTime', 'time'],
  ['oldFileModificationTime', 'oldFileModificationTime', 'time'],
  ['proto', 'transportProtocol', 'string'],
  ['rawEvent', 'rawEvent', 'string'],
  ['request', 'requestUrl', 'string', 'url.original'],
  ['requestMethod', 'requestMethod', 'string', 'http.request.method'],
  ['requestClientApplication', 'requestClientApplication', 'string', 'user_agent.original'],
  ['requestContext', 'requestContext', 'string'],
  ['requestCookies', 'requestCookies', 'string'],
  ['src', 'sourceAddress', 'ip', 'source.ip'],
  [null, 'sourceDnsDomain', 'string'],
  ['slat', 'sourceGeoLatitude', 'float', 'source.geo.location.lat'],
  ['slong', 'sourceGeoLongitude', 'float', 'source.geo.location.lon'],
  ['shost', 'sourceHostName', 'string', 'source.domain'],
  ['smac', 'sourceMacAddress', 'mac', 'source.mac'],
  ['sntdom', 'sourceNtDomain', 'string', 'source.user.domain'],
  ['spt', 'sourcePort', 'int', 'source.port'],
  ['spid', 'sourceProcessId', 'int'],
  ['sproc', 'sourceProcessName', 'string'],
  [null, 'sourceServiceName', 'string'],
  [null, 'sourceTranslatedAddress', 'ip', 'source.nat.ip'],
  [null, 'sourceTranslatedPort', 'int', 'source.nat.port'],
  [null, 'sourceTranslatedZoneExternalID', 'string'],
  [null, 'sourceTranslatedZoneURI', 'string'],
  ['suid', 'sourceUserId', 'string', 'source.user.id'],
  ['suser', 'sourceUserName', 'string', 'source.user.name'],
  ['spriv', 'sourceUserPrivileges', 'string', 'source.user.group.name'],
  [null, 'sourceZoneExternalID', 'string'],
  [null, 'sourceZoneURI', 'string'],
  ['type', 'type', 'int'],
  ['agt', 'agentAddress', 'ip'],
  ['ahost', 'agentHostName', 'string'],
  ['aid', 'agentId', 'string'],
  ['amac', 'agentMacAddress', 'mac'],
  ['art', 'agentReceiptTime', 'time'],
  ['at', 'agentType', 'string'],
  ['atz', 'agentTimeZone', 'string'],
  ['av', 'agentVersion', 'string'],
  [null, 'agentDnsDomain', 'string'],
  [null, 'agentNtDomain', 'string'],
  [null, 'agentTranslatedAddress', 'ip'],
  [null, 'agentZoneExternalID', 'string'],
  [null, 'agentZoneURI', 'string'],
  [null, 'customerExternalID', 'string'],
  [null, 'customerURI', 'string'],
  [null, 'flexDate1', 'time'],
  [null, 'flexDate1Label', 'string'],
  [null, 'flexNumber1', 'int'],
  [null, 'flexNumber1Label', 'string'],
  [null, 'flexNumber2', 'int'],
  [null, 'flexNumber2Label', 'string'],
  [null, 'flexString1', 'string'],
  [null, 'flexString1Label', 'string'],
  [null, 'flexString2', 'string'],
  [null, 'flexString2Label', 'string'],
  [null, 'deviceCustomDate1', 'time'],
  [null, 'deviceCustomDate1Label', 'string'],
  [null, 'deviceCustomDate2', 'time'],
  [null, 'deviceCustomDate2Label', 'string'],
]

// The numbered custom fields: cs1..cs6 (strings), cn1..cn3 (numbers), cfp1..cfp4 (floating
// point), c6a1..c6a4 (IPv6 addresses), each with its Label.
for (let n = 1; n <= 6; n++) ROWS.push([`cs${n}`, `deviceCustomString${n}`, 'string'], [`cs${n}Label`, `deviceCustomString${n}Label`, 'string'])
for (let n = 1; n <= 3; n++) ROWS.push([`cn${n}`, `deviceCustomNumber${n}`, 'int'], [`cn${n}Label`, `deviceCustomNumber${n}Label`, 'string'])
for (let n = 1; n <= 4; n++) ROWS.push([`cfp${n}`, `deviceCustomFloatingPoint${n}`, 'float'], [`cfp${n}Label`, `deviceCustomFloatingPoint${n}Label`, 'string'])
for (let n = 1; n <= 4; n++) ROWS.push([`c6a${n}`, `deviceCustomIPv6Address${n}`, 'ipv6'], [`c6a${n}Label`, `deviceCustomIPv6Address${n}Label`, 'string'])

/** Every key by short and by full name. */
export const KEYS: ReadonlyMap<string, KeySpec> = (() => {
  const map = new Map<string, KeySpec>()
  for (const [short, full, type, ecs] of ROWS) {
    const slot = (SLOTS as readonly string[]).indexOf(full)
    const spec: KeySpec = { full, type }
    if (ecs !== undefined) {
      spec.ecs = ecs
      spec.path = ecs.split('.')
    }
    if (slot !== -1) spec.slot = slot
    map.set(full, spec)
    if (short !== null) map.set(short, spec)
  }
  return map
})()

