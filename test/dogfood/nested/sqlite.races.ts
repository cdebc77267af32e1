// The engine under races on sqlite: see keyed-races.ts.
import { describeKeyedRaces, sqliteBank } from './keyed-races.js';

describeKeyedRaces('sqlite', sqliteBank);
