/**
 * The demo's checks speak in plain words ("Jack credited twice: balance 120,
 * expected 110") so a failing scenario reads like the bug it is.
 */

/** A demo invariant that did not hold; the message lists every broken one. */
export class DemoCheckError extends Error {
  override name = 'DemoCheckError';
  constructor(readonly problems: readonly string[]) {
    super(problems.join('; '));
  }
}

/** What one transfer must leave behind. */
export interface TransferExpectation {
  /** Display name and balance before and after, of the payer. */
  payer: { name: string; before: number; actual: number };
  /** Display name and balance before and after, of the payee. */
  payee: { name: string; before: number; actual: number };
  amount: number;
  /** Receipts the payee got. */
  receipts: number;
}

/**
 * Checks that the money moved exactly once and one receipt went out.
 * @throws DemoCheckError naming each account debited/credited the wrong number of times, and a wrong receipt count
 */
export function checkTransfer(e: TransferExpectation): void {
  const problems: string[] = [];
  const debits = (e.payer.before - e.payer.actual) / e.amount;
  const credits = (e.payee.actual - e.payee.before) / e.amount;
  if (debits !== 1) problems.push(`${e.payer.name} debited ${times(debits)}: balance ${e.payer.actual}, expected ${e.payer.before - e.amount}`);
  if (credits !== 1) problems.push(`${e.payee.name} credited ${times(credits)}: balance ${e.payee.actual}, expected ${e.payee.before + e.amount}`);
  if (e.receipts !== 1) problems.push(`${e.payee.name} got ${e.receipts} receipt emails, expected 1`);
  if (problems.length > 0) throw new DemoCheckError(problems);
}

function times(n: number): string {
  if (n === 0) return 'never';
  if (n === 2) return 'twice';
  return Number.isInteger(n) && n > 0 ? `${n} times` : `${n} times the amount`;
}
