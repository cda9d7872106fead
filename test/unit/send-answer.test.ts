import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import express from 'express';
import { sendAnswer } from '../../src/api/callback-route';

type Answer = Parameters<typeof sendAnswer>[2];

// A real local HTTP server around the adapter's writer (no Temporal involved).
let server: Server;
let answerNext: Answer;
beforeAll(async () => {
  const app = express();
  app.post('/', (req, res) => {
    req.resume();
    req.on('end', () => sendAnswer(req, res, answerNext));
  });
  server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, '127.0.0.1', () => resolve(s));
  });
});
afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
});

async function send(a: Answer): Promise<Response> {
  answerNext = a;
  return fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { method: 'POST', body: '{}' });
}

describe("writing an answer (review findings 8 and 1)", () => {
  test("a procedure's 4xx (run.respond) is plain JSON, not problem+json", async () => {
    const res = await send({ outcome: 'trigger-responded', status: 409, headers: {}, body: { error: 'taken' }, authored: true });
    expect(res.status).toBe(409);
    expect(res.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await res.json()).toEqual({ error: 'taken' });
  });

  test("a procedure's own content type is kept", async () => {
    const res = await send({ outcome: 'trigger-responded', status: 422, headers: { 'content-type': 'application/vnd.shop+json' }, body: { e: 1 }, authored: true });
    expect(res.headers.get('content-type')).toMatch(/^application\/vnd\.shop\+json/);
  });

  test("the gateway's own 4xx stays problem+json", async () => {
    const res = await send({ outcome: 'not-found', status: 404, headers: {}, body: { type: 'urn:hookwait:problem:not-found' } });
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });

  test('a header value Node would refuse is left out, never thrown on', async () => {
    const res = await send({ outcome: 'trigger-started', status: 201, headers: { 'x-bad': 'a€', 'x-ok': 'fine' }, body: { ok: true }, authored: true });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-bad')).toBeNull();
    expect(res.headers.get('x-ok')).toBe('fine');
  });
});
