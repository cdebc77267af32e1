/**
 * The scenarios a full simulation of fixtures/jobs/transfer.ts fails, in
 * simulation order: every point after the debit completed (the retry debits
 * again), after the credit (credits again), after the email (sends again).
 * Asserted by the harness, the Vitest helper and the demo tests alike.
 */
export const NAIVE_TRANSFER_FAILING = [
  // The debit happened: the retry debits again.
  'before-return fixtures/jobs/bank.ts:debit',
  'before-line fixtures/jobs/transfer.ts:17',
  'before-call fixtures/jobs/bank.ts:credit',
  'before-line fixtures/jobs/bank.ts:40',
  // The credit happened too.
  'before-return fixtures/jobs/bank.ts:credit',
  'before-line fixtures/jobs/transfer.ts:18',
  'before-call fixtures/jobs/bank.ts:sendEmail',
  'before-line fixtures/jobs/bank.ts:58',
  // And the email was sent.
  'before-return fixtures/jobs/bank.ts:sendEmail',
  'before-return fixtures/jobs/transfer.ts:transfer',
];
