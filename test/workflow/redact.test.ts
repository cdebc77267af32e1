/**
 * redactConnectionString: every credential form `pg` accepts is hidden, and
 * what `pg` itself would send as the password (parsed by the same
 * pg-connection-string) never appears in the output.
 */
import { parse } from 'pg-connection-string';
import { describe, expect, test } from 'vitest';
import { redactConnectionString } from '../../workflow/redact.js';

const cases: [what: string, input: string, expected: string, secrets: string[]][] = [
  ['a plain userinfo password', 'postgres://fl:hunter2@127.0.0.1:5432/app', 'postgres://fl:***@127.0.0.1:5432/app', ['hunter2']],
  ['postgresql:// scheme', 'postgresql://fl:hunter2@db.example/app', 'postgresql://fl:***@db.example/app', ['hunter2']],
  ['a raw @ in the password (pg splits at the last @)', 'postgres://fl:p@ss@w0rd@db/app', 'postgres://fl:***@db/app', ['p@ss', 'ss@w0rd', 'w0rd']],
  ['a percent-encoded @ in the password', 'postgres://fl:p%40ss@db/app', 'postgres://fl:***@db/app', ['p%40ss', 'p@ss']],
  ['a : in the password', 'postgres://fl:a:b:c@db/app', 'postgres://fl:***@db/app', ['a:b:c', 'b:c']],
  ['an empty user', 'postgres://:hunter2@db/app', 'postgres://:***@db/app', ['hunter2']],
  ['a user without password is kept', 'postgres://fl@db/app', 'postgres://fl@db/app', []],
  ['an IPv6 host', 'postgres://fl:hunter2@[::1]:5432/app', 'postgres://fl:***@[::1]:5432/app', ['hunter2']],
  ['a raw / in the password (pg cannot parse it)', 'postgres://fl:se/cret@db/app', 'postgres://fl:***@db/app', ['se/cret', 'cret']],
  ['a raw / with digits (pg reads a port and a path)', 'postgres://fl:12/34@db/app', 'postgres://fl:***@db/app', ['12/34', '34@']],
  ['a raw # in the password', 'postgres://fl:a#b@db/app', 'postgres://fl:***@db/app', ['a#b', '#b']],
  ['a raw ? in the password', 'postgres://fl:1?x@db/app', 'postgres://fl:***@db/app', ['1?x', '?x']],
  ['?password=', 'postgres://db/app?password=hunter2&sslmode=disable', 'postgres://db/app?password=***&sslmode=disable', ['hunter2']],
  ['&password= after another parameter', 'postgres://fl@db/app?sslmode=disable&password=hunter2', 'postgres://fl@db/app?sslmode=disable&password=***', ['hunter2']],
  ['a percent-encoded parameter name', 'postgres://db/app?pass%77ord=hunter2', 'postgres://db/app?pass%77ord=***', ['hunter2']],
  ['an upper-case parameter name', 'postgres://db/app?PASSWORD=hunter2', 'postgres://db/app?PASSWORD=***', ['hunter2']],
  ['a raw & in the parameter value', 'postgres://db/app?password=hun&ter2&sslmode=disable', 'postgres://db/app?password=***&sslmode=disable', ['hun', 'ter2']],
  ['a = in the parameter value', 'postgres://db/app?password=a=b', 'postgres://db/app?password=***', ['a=b']],
  ['sslpassword', 'postgres://db/app?sslkey=/etc/k.pem&sslpassword=keypass', 'postgres://db/app?sslkey=/etc/k.pem&sslpassword=***', ['keypass']],
  ['userinfo and parameter together', 'postgres://fl:one@db/app?password=two', 'postgres://fl:***@db/app?password=***', ['one', 'two']],
  ['an @ in a parameter (user=e-mail) with a password parameter', 'postgres://db/app?user=me@x.io&password=hunter2', 'postgres://db/app?user=me@x.io&password=***', ['hunter2']],
  ['socket host as a parameter', 'postgres:///app?host=/var/run/postgresql&password=hunter2', 'postgres:///app?host=/var/run/postgresql&password=***', ['hunter2']],
  ['another scheme', 'mysql://root:hunter2@localhost/x', 'mysql://root:***@localhost/x', ['hunter2']],
  ['libpq key=value', 'host=db port=5432 user=fl password=hunter2 dbname=app', 'host=db port=5432 user=fl password=*** dbname=app', ['hunter2']],
  ['libpq key=value, quoted with spaces and escapes', "host=db password = 'se cr\\'et' dbname=app", "host=db password = *** dbname=app", ['se cr', "cr\\'et"]],
  ['libpq sslpassword', 'host=db sslpassword=keypass', 'host=db sslpassword=***', ['keypass']],
  ['a SQLite URL is unchanged', 'sqlite:./faultline.db', 'sqlite:./faultline.db', []],
  ['a URL without credentials is unchanged', 'postgres://db:5432/app?sslmode=verify-full', 'postgres://db:5432/app?sslmode=verify-full', []],
];

describe('redactConnectionString', () => {
  test.each(cases)('%s', (_what, input, expected, secrets) => {
    const redacted = redactConnectionString(input);
    expect(redacted).toBe(expected);
    for (const secret of secrets) expect(redacted).not.toContain(secret);
  });

  test.each(cases.filter(([, input]) => /^postgres(ql)?:\/\//.test(input)))('what pg would send as the password is hidden: %s', (_what, input) => {
    let password: string | undefined;
    try {
      password = parse(input).password ?? undefined;
    } catch {
      return; // pg cannot parse it either; the table above checks the intended secret.
    }
    if (password) expect(redactConnectionString(input)).not.toContain(password);
  });
});
