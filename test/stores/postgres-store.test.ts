import { runConformance } from '../conformance/index.js';
import { postgresFactory } from '../helpers/postgres.js';

runConformance('postgres', postgresFactory);
