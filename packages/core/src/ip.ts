/** Addresses live in `@f2b/kit` (plugins import them from there); the core's modules import them here. */
export {
  IpSet,
  cidrContains,
  formatIp,
  isLoopback,
  looksLikeHostname,
  normalizeIp,
  parseCidr,
  parseIp,
  tryParseCidr,
  widen,
  type Cidr,
  type IpAddress,
} from '@f2b/kit';
