/** `user:password@` in a URL or connection string; the password runs to the last `@` before a space or `/`. */
const USERINFO_PATTERN = /([^\s:/@[\]"'<>]+):[^\s/"'<>]+@/g;
/** An `Authorization` header value (also `authorization=` and JSON `"authorization": "..."`), with or without its scheme word. */
const AUTHORIZATION_PATTERN = /\b(Authorization["']?[ \t]*[:=][ \t]*["']?)(?:[A-Za-z][A-Za-z0-9-]*[ \t]+)?[^\s,;"'<>]+/gi;
/** A bearer token; the scheme word matches in any case and is written back as `Bearer`. */
const BEARER_PATTERN = /\bBearer[ \t]+[^\s,;"'<>]+/gi;

/**
 * Masks secrets in log text (L7, §16.10): `user:pw@` becomes `user:***@`, `Authorization: X` becomes
 * `Authorization: ***` (applied before the Bearer rule), and `Bearer X` in any case becomes `Bearer ***`.
 */
export function redactSecrets(text: string): string {
  return text.replace(USERINFO_PATTERN, '$1:***@').replace(AUTHORIZATION_PATTERN, '$1***').replace(BEARER_PATTERN, 'Bearer ***');
}
