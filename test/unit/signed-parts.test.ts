import { fieldOf } from '../helpers/definitions';
import { z } from 'zod';
import { defineProcedure } from '../../src/definitions/procedure';
import type { WaitDecl } from '../../src/definitions/wait-point';
import { defineTrigger, type TriggerDecl } from '../../src/definitions/trigger';


const hmac = { type: 'hmacSha256', secret: 'S' } as const;
const sw = { type: 'standardWebhooks', secret: 'S' } as const;
const timestamped = { type: 'hmacSha256Timestamped', secret: 'S' } as const;
const apiKey = { type: 'apiKey', secret: 'S' } as const;

const waitWith = (w: Partial<WaitDecl>) => () =>
  defineProcedure({ name: 'p', input: z.object({}), waits: { w: { title: 'W', attributes: ['v'], timeout: '1h', onTimeout: 'branch', ...w } as WaitDecl } });

describe('a signature proves the body only (review finding 3)', () => {
  test.each([
    ['hmacSha256 on a GET wait', { auth: hmac, methods: ['GET'] }, 'waits.w.methods[0]'],
    ['standardWebhooks with a query attribute', { auth: sw, attributes: { t: { from: 'query' } } }, 'waits.w.attributes.t.from'],
    ['hmacSha256Timestamped with a header attribute', { auth: timestamped, attributes: { e: { from: 'header', path: 'x-event' } } }, 'waits.w.attributes.e.from'],
  ] as const)('wait: %s is a definition error', (_what, w, field) => {
    expect(fieldOf(waitWith(w as Partial<WaitDecl>))).toBe(field);
  });

  test('wait: the message says why and what to do', () => {
    expect(waitWith({ auth: hmac, methods: ['POST', 'GET'] })).toThrow(/signs the body only.*apiKey/);
  });

  test.each([
    ['apiKey on a GET with query and header attributes', { auth: apiKey, methods: ['GET'], attributes: { t: { from: 'query' }, e: { from: 'header', path: 'x-event' } } }],
    ['a signature with body attributes', { auth: hmac, attributes: ['v', 'w'] }],
    ['standardWebhooks with the signed webhook-id header', { auth: sw, attributes: { id: { from: 'header', path: 'webhook-id' } } }],
    ['a GET without auth', { methods: ['GET'], attributes: { t: { from: 'query' } } }],
  ] as const)('wait: %s is fine', (_what, w) => {
    expect(fieldOf(waitWith(w as Partial<WaitDecl>))).toBeUndefined();
  });

  const procedure = defineProcedure({ name: 'p', input: z.object({ id: z.string() }), waits: { w: { title: 'W', attributes: ['x'], timeout: '1h', onTimeout: 'branch' } } });
  const trigger = (t: Partial<TriggerDecl>) => () => defineTrigger({ name: 't', path: 'x', procedure, ...t });

  test.each([
    ['hmacSha256 on GET', { auth: hmac, methods: ['POST', 'GET'] }, 'methods[1]'],
    ['an input from the query', { auth: hmac, input: { id: 'query.id' } }, 'input.id'],
    ['an input from an unsigned header', { auth: sw, input: { id: 'headers.x-id' } }, 'input.id'],
    ['an idempotency key from an unsigned header', { auth: timestamped, idempotencyKey: 'headers.x-delivery' }, 'idempotencyKey'],
  ] as const)('trigger: %s with a signature is a definition error', (_what, t, field) => {
    expect(fieldOf(trigger(t as Partial<TriggerDecl>))).toBe(field);
  });

  test.each([
    ['apiKey on GET from the query', { auth: apiKey, methods: ['GET'], input: { id: 'query.id' } }],
    ['standardWebhooks keyed by webhook-id', { auth: sw, idempotencyKey: 'headers.webhook-id', input: { id: 'body.id' } }],
  ] as const)('trigger: %s is fine', (_what, t) => {
    expect(fieldOf(trigger(t as Partial<TriggerDecl>))).toBeUndefined();
  });
});

describe('callback URLs in a trigger response need sender auth (review finding 6)', () => {
  const procedure = defineProcedure({ name: 'p', input: z.object({ id: z.string() }), waits: { w: { title: 'W', attributes: ['x'], timeout: '1h', onTimeout: 'branch' } } });
  test.each([
    ['in the body', { response: { status: 201, body: { next: '{{callbackUrls.w}}' } } }, 'response'],
    ['in a header', { response: { status: 201, headers: { link: '<{{ callbackUrls.w }}>' } } }, 'response'],
    ['all of them, in the fallback', { response: { type: 'fromProcedure', timeout: '2s', fallback: { status: 202, body: { urls: '{{callbackUrls}}' } } } }, 'response.fallback'],
  ] as const)('without auth, %s: a definition error', (_what, t, field) => {
    expect(fieldOf(() => defineTrigger({ name: 't', path: 'x', procedure, ...(t as Partial<TriggerDecl>) }))).toBe(field);
  });
  test('with auth: fine', () => {
    expect(fieldOf(() => defineTrigger({ name: 't', path: 'x', procedure, auth: apiKey, response: { status: 201, body: { next: '{{callbackUrls.w}}' } } }))).toBeUndefined();
  });
});
