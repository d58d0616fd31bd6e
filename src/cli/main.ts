// Entry point of the `ticketrail` command (bin/ticketrail.js loads it). A command that fails
// prints one line on stderr and exits 1.
import { createProgram } from './program.js';
import { reportFailure } from './report-failure.js';

const program = createProgram();
try {
  await program.parseAsync(process.argv);
} catch (error) {
  reportFailure(error, program.opts<{ db?: string }>().db);
}
