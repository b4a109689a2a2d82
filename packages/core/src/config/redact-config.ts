import type { Config } from '../schemas/config.js';

const MASK = '***';
// `scheme://user:password@host`: the password part is masked, the user name kept.
const URL_USERINFO = /\b([a-z][a-z0-9+.-]*:\/\/)([^\s/?#@:]*):([^\s/?#@]*)@/gi;
// rclone connection-string remotes (`:sftp,user=lab,pass=...:`) carry obscured passwords inline.
const INLINE_SECRET = /\b(pass|password|token|secret)=([^,:\s]*)/gi;

/** Masks credentials embedded in one string. */
export function redactSecrets(text: string): string {
  return text
    .replace(URL_USERINFO, (_match, scheme: string, user: string) => `${scheme}${user}:${MASK}@`)
    .replace(INLINE_SECRET, (_match, key: string) => `${key}=${MASK}`);
}

function redactValue(value: unknown): unknown {
  if (typeof value === 'string') return redactSecrets(value);
  if (Array.isArray(value)) return value.map(redactValue);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([key, item]) => [key, redactValue(item)]));
  }
  return value;
}

/**
 * A deep copy of `config` safe for `GET /config` and logs. config.yaml holds no secrets by design
 * (§9); this masks any credential typed into a URL or remote string anyway (defence in depth).
 */
export function redactConfig(config: Config): Config {
  return redactValue(config) as Config;
}
