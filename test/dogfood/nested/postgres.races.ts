// The engine under races on the Postgres server at DOGFOOD_POSTGRES_URL: see keyed-races.ts.
import { describeKeyedRaces, postgresBank } from './keyed-races.js';

const url = process.env.DOGFOOD_POSTGRES_URL;
if (!url) throw new Error('postgres.races.ts needs DOGFOOD_POSTGRES_URL (test/dogfood/races.test.ts passes the run\'s server)');
describeKeyedRaces('postgres', () => postgresBank(url));
