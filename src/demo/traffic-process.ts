// Entry of the demo's traffic child process (started by TrafficProcess): runs driveSignups() on
// each request from the parent and sends the responses back. It exits when the parent closes
// the channel or goes away, so it never outlives the demo.
import { driveSignups, type SignupTrafficOptions, type TrafficReply } from './traffic.js';

process.on('message', (request: { id: number; options: SignupTrafficOptions }) => {
  driveSignups(request.options).then(
    (traffic) => reply({ id: request.id, traffic }),
    (error: unknown) => reply({ id: request.id, error: String(error) }),
  );
});
process.on('disconnect', () => process.exit(0));

function reply(message: TrafficReply): void {
  process.send?.(message);
}
