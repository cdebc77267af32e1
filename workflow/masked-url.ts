/** Store URLs as they may appear in messages: every credential hidden. */

/** Query parameters `pg` reads a secret from. */
const SECRET_PARAMETERS = /([?&](?:password|sslpassword)=)[^&#]*/gi;

/**
 * `url` with its password and any `password=` / `sslpassword=` query parameter
 * replaced by `***`. The authority is read as `pg` (the WHATWG URL parser)
 * reads it: it ends at the first `/`, `?` or `#`, and the host follows its
 * last `@`, so a raw `@` inside the password is hidden with the rest of it.
 */
export function maskUrl(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url)?.[0];
  if (!scheme) return url.replace(SECRET_PARAMETERS, '$1***');
  const rest = url.slice(scheme.length);
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const at = authority.lastIndexOf('@');
  let masked = authority;
  if (at >= 0) {
    const colon = authority.indexOf(':');
    if (colon >= 0 && colon < at) masked = `${authority.slice(0, colon)}:***${authority.slice(at)}`;
  }
  return scheme + masked + rest.slice(authority.length).replace(SECRET_PARAMETERS, '$1***');
}
