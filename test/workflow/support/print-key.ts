/** Child process: prints the idempotency key of argv[2] (job name) and argv[3] (uniqueBy as JSON). */
import { idempotencyKey } from '../../../workflow/index.js';

process.stdout.write(idempotencyKey(process.argv[2]!, JSON.parse(process.argv[3]!)));
