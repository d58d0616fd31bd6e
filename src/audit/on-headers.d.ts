// on-headers ships no types; this is its whole API.
declare module 'on-headers' {
  import type { ServerResponse } from 'node:http';

  /** Calls `listener` once, just before `response` writes its headers. */
  export default function onHeaders(
    response: ServerResponse,
    listener: (this: ServerResponse) => void,
  ): void;
}
