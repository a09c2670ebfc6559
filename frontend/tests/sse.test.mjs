// Unit tests of src/sse.ts in Node (no browser): every way a stream can be cut into chunks.
// Usage: node tests/sse.test.mjs   (or npm run test:unit). The TypeScript source is transpiled
// in memory with the project's own typescript; src/sse.ts imports nothing, so it loads as a data: URL.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { test } from 'node:test';
import ts from 'typescript';

const source = await readFile(new URL('../src/sse.ts', import.meta.url), 'utf8');
const { outputText } = ts.transpileModule(source, {
  compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022 },
});
const { SseParser, readEvents } = await import(`data:text/javascript;base64,${Buffer.from(outputText).toString('base64')}`);

/** Feeds `pieces` to a fresh parser and returns every event as [event, data, id]. */
function parse(pieces) {
  const parser = new SseParser();
  return pieces.flatMap((piece) => parser.push(piece)).map((e) => [e.event, e.data, e.id]);
}

/** The events of `text` fed whole, and checks that cutting it in two anywhere changes nothing. */
function parseEverySplit(text) {
  const whole = parse([text]);
  for (let i = 1; i < text.length; i++) {
    assert.deepEqual(parse([text.slice(0, i), text.slice(i)]), whole, `split at ${i}: ${JSON.stringify(text.slice(0, i))}`);
  }
  assert.deepEqual(parse([...text]), whole, 'one character at a time');
  return whole;
}

test('events as the backend sends them, cut anywhere', () => {
  const stream = 'id: 1\nevent: meta\ndata: {"sessionId":"s"}\n\n'
    + 'id: 2\nevent: delta\ndata: {"text":"Hel"}\n\n'
    + ': heartbeat\n\n'
    + 'id: 3\nevent: delta\ndata: {"text":"lo"}\n\n'
    + 'id: 4\nevent: done\ndata: {"success":true,"message":"Hello"}\n\n';
  assert.deepEqual(parseEverySplit(stream), [
    ['meta', '{"sessionId":"s"}', '1'],
    ['delta', '{"text":"Hel"}', '2'],
    ['delta', '{"text":"lo"}', '3'],
    ['done', '{"success":true,"message":"Hello"}', '4'],
  ]);
});

test('\\r\\n, \\r and \\n line endings, a \\r\\n split across chunks counts once', () => {
  const expected = [['delta', 'a', '1'], ['delta', 'b', '2']];
  assert.deepEqual(parseEverySplit('id: 1\r\nevent: delta\r\ndata: a\r\n\r\nid: 2\r\nevent: delta\r\ndata: b\r\n\r\n'), expected);
  assert.deepEqual(parseEverySplit('id: 1\revent: delta\rdata: a\r\rid: 2\revent: delta\rdata: b\r\r'), expected);
  assert.deepEqual(parseEverySplit('id: 1\nevent: delta\r\ndata: a\r\rid: 2\revent: delta\ndata: b\n\r\n'), expected);
  // \r then a chunk starting with \n\n: the first \n completes the \r\n, the second is the blank line
  assert.deepEqual(parse(['data: x\r', '\n\r\n']), [['message', 'x', '']]);
  assert.deepEqual(parse(['data: x\r', '', '\n', '\n']), [['message', 'x', '']], 'an empty piece keeps the pending \\r');
});

test('multi-line data is joined with \\n; comments, unknown fields and retry are ignored', () => {
  assert.deepEqual(parseEverySplit('event: done\ndata: {"message":\n: a comment in between\ndata:"two lines"}\nretry: 10\nfoo: bar\n\n'),
    [['done', '{"message":\n"two lines"}', '']]);
  assert.deepEqual(JSON.parse(parse(['data: {"a":\ndata: 1}\n\n'])[0][1]), { a: 1 });
});

test('field syntax: one leading space dropped, no colon means an empty value, default event type', () => {
  assert.deepEqual(parse(['data:no space\ndata:  two spaces\ndata\n\n']), [['message', 'no space\n two spaces\n', '']]);
  assert.deepEqual(parse(['event: delta\n\ndata: x\n\n']), [['message', 'x', '']], 'an event with no data is dropped and its type reset');
  assert.deepEqual(parse(['id: 7\ndata: a\n\ndata: b\n\nid\ndata: c\n\n']), [['message', 'a', '7'], ['message', 'b', '7'], ['message', 'c', '']]);
});

test('an event the stream ends in the middle of is not dispatched', () => {
  assert.deepEqual(parse(['event: delta\ndata: {"text":"a"}\n\nevent: done\ndata: {"message":"a"}\n']), [['delta', '{"text":"a"}', '']]);
});

/** A byte stream that delivers `bytes` in the given pieces. */
function byteStream(bytes, cuts) {
  const pieces = [];
  let start = 0;
  for (const cut of [...cuts, bytes.length]) {
    pieces.push(bytes.subarray(start, cut));
    start = cut;
  }
  return new ReadableStream({
    pull(controller) {
      if (pieces.length === 0) controller.close();
      else controller.enqueue(pieces.shift());
    },
  });
}

async function collect(stream) {
  const events = [];
  for await (const event of readEvents(stream)) events.push([event.event, event.data]);
  return events;
}

test('readEvents: UTF-8 characters split across chunks arrive whole, at every byte boundary', async () => {
  const text = 'Grüße, 東京 🚀 done';
  const bytes = new TextEncoder().encode(`event: delta\r\ndata: ${JSON.stringify({ text })}\r\n\r\n`);
  for (let i = 1; i < bytes.length; i++) {
    const events = await collect(byteStream(bytes, [i]));
    assert.equal(events.length, 1, `cut at byte ${i}`);
    assert.equal(JSON.parse(events[0][1]).text, text, `cut at byte ${i}`);
  }
  const everyByte = await collect(byteStream(bytes, Array.from({ length: bytes.length - 1 }, (_, i) => i + 1)));
  assert.equal(JSON.parse(everyByte[0][1]).text, text, 'one byte at a time');
});

test('readEvents: leaving the loop early cancels the body', async () => {
  let cancelled = false;
  const stream = new ReadableStream({
    start(controller) {
      controller.enqueue(new TextEncoder().encode('data: 1\n\ndata: 2\n\n'));
    },
    cancel() {
      cancelled = true;
    },
  });
  for await (const event of readEvents(stream)) {
    assert.equal(event.data, '1');
    break;
  }
  assert.equal(cancelled, true);
});
