/** Store URLs as they may appear in messages: every credential hidden. */

/** Query parameters `pg` reads a secret from. */
const SECRET_PARAMETERS = /([?&](?:password|sslpassword)=)[^&#]*/gi;

/**
 * `url` with its password (a raw `@` inside it included: the host follows the
 * last `@` of the authority, as `pg` reads it) and any `password=` /
 * `sslpassword=` query parameter replaced by `***`.
 */
export function maskUrl(url: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(url);
  if (!scheme) return url.replace(SECRET_PARAMETERS, '$1***');
  const rest = url.slice(scheme[0].length);
  const at = rest.lastIndexOf('@', authorityEnd(rest));
  let authority = rest;
  if (at >= 0) {
    const userinfo = rest.slice(0, at);
    const colon = userinfo.indexOf(':');
    authority = (colon >= 0 ? `${userinfo.slice(0, colon)}:***` : userinfo) + rest.slice(at);
  }
  return scheme[0] + authority.replace(SECRET_PARAMETERS, '$1***');
}

/** Where the authority ends: the first `/`, `?` or `#` after the last `@` that precedes one (or the end). */
function authorityEnd(rest: string): number {
  const at = rest.lastIndexOf('@');
  const search = at >= 0 ? at : 0;
  const end = rest.slice(search).search(/[/?#]/);
  return end < 0 ? rest.length : search + end;
}
