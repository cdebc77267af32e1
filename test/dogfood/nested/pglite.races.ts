// The engine under races on pglite: see keyed-races.ts.
import { describeKeyedRaces, pgliteBank } from './keyed-races.js';

describeKeyedRaces('pglite', pgliteBank);
