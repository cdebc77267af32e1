/**
 * Hiding the secrets of a store connection string before it is printed (CLI
 * output, error messages). Every form a password can take in what `pg`
 * accepts is covered, and when a string is ambiguous more is hidden rather
 * than less: a message that names too little is better than one that leaks.
 */

/** Parameter names whose value is a secret (libpq's names; `pg` reads `password`). */
const SECRET_KEYS = new Set(['password', 'sslpassword']);

const MASK = '***';

/**
 * The connection string with every password replaced by `***`, for messages.
 *
 * - URL userinfo, `scheme://user:password@host`: like `pg` (WHATWG URL) the
 *   password runs from the first `:` to the LAST `@` of the authority, so a
 *   raw `@` in it is hidden too. A raw `/`, `?` or `#` in a password ends the
 *   authority early; whenever an `@` follows the authority the string is
 *   ambiguous, and everything from the first `:` to the last `@` is hidden.
 * - Query parameters `?password=…` and `&sslpassword=…`, by their decoded
 *   name (`pass%77ord` is `password` to `pg`) and case-insensitively, up to
 *   the next parameter (a raw `&` inside the value hides what follows too).
 * - libpq key=value strings, `host=h password='se cret'`, quoted or not.
 *
 * Everything else (scheme, user, host, port, database, other parameters) is
 * kept so the message still says which store it means.
 */
export function redactConnectionString(text: string): string {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text);
  if (!scheme) return redactKeyValues(text);
  const rest = text.slice(scheme[0].length);
  const authorityEnd = firstIndexOf(rest, /[/?#]/);
  const lastAt = rest.lastIndexOf('@');
  let userinfo: string | undefined;
  if (lastAt >= 0 && lastAt < authorityEnd) userinfo = rest.slice(0, lastAt);
  // An '@' past the authority: a delimiter inside the password cut it short, or a
  // path/parameter holds an '@'. Hide up to that '@' when a ':' says a password may be there.
  else if (lastAt >= 0 && rest.slice(0, lastAt).includes(':')) userinfo = rest.slice(0, lastAt);
  const tail = userinfo === undefined ? rest : rest.slice(lastAt + 1);
  return `${scheme[0]}${userinfo === undefined ? '' : `${redactUserinfo(userinfo)}@`}${redactParameters(tail)}`;
}

function redactUserinfo(userinfo: string): string {
  const colon = userinfo.indexOf(':');
  return colon < 0 ? userinfo : `${userinfo.slice(0, colon + 1)}${MASK}`;
}

/**
 * Masks the values of secret `name=value` pieces delimited by `?` or `&`
 * anywhere in the text (a path holding `&password=` is masked too: over-hiding
 * is safe). A piece without `=` right after a secret is taken as part of it.
 */
function redactParameters(text: string): string {
  const parts = text.split(/([?&])/);
  let inSecret = false;
  for (let i = 2; i < parts.length; i += 2) {
    const piece = parts[i]!;
    const eq = piece.indexOf('=');
    if (eq < 0) {
      if (inSecret) parts[i - 1] = parts[i] = '';
      continue;
    }
    inSecret = SECRET_KEYS.has(decodeName(piece.slice(0, eq)).toLowerCase());
    if (inSecret) parts[i] = `${piece.slice(0, eq + 1)}${MASK}`;
  }
  return parts.join('');
}

/** A parameter name as `pg` sees it (URLSearchParams decoding: `+` is a space, `%xx` decoded). */
function decodeName(raw: string): string {
  return new URLSearchParams(`${raw}=`).keys().next().value ?? raw;
}

/** libpq's `key = value` form: values are bare words or single-quoted with backslash escapes. */
function redactKeyValues(text: string): string {
  return text.replace(/(^|\s)([a-z_]+)(\s*=\s*)('(?:[^'\\]|\\.)*(?:'|$)|[^\s']\S*|(?=\s|$))/gi, (match, before: string, key: string, eq: string) =>
    SECRET_KEYS.has(key.toLowerCase()) ? `${before}${key}${eq}${MASK}` : match,
  );
}

function firstIndexOf(text: string, pattern: RegExp): number {
  const index = text.search(pattern);
  return index < 0 ? text.length : index;
}
