export type TSseEvent = { event: string; data: unknown };

/**
 * Parses a server-sent events stream as it arrives: `events` fills up while `done` waits for the
 * end. Comments (keep-alives) are skipped; each event's data is JSON.
 */
export function collectSseEvents(stream: ReadableStream<Uint8Array>) {
  const events: TSseEvent[] = [];
  const reader = stream.getReader();
  const decoder = new TextDecoder();
  let buffer = "";
  const done = (async () => {
    for (;;) {
      const { value, done: isDone } = await reader.read();
      if (isDone) return;
      buffer += decoder.decode(value, { stream: true });
      let end: number;
      while ((end = buffer.indexOf("\n\n")) >= 0) {
        const block = buffer.slice(0, end);
        buffer = buffer.slice(end + 2);
        const event = /^event: (.+)$/m.exec(block)?.[1];
        const data = /^data: (.+)$/m.exec(block)?.[1];
        if (event && data) events.push({ event, data: JSON.parse(data) });
      }
    }
  })();
  return { events, done };
}
