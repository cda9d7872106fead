import { gatewayUrl } from '../../src/api/start-gateway';

describe('gatewayUrl: the local URL of the gateway, which npm run dev uses as the public base URL by default', () => {
  test.each([
    ['0.0.0.0', 3300, 'http://localhost:3300'],
    ['::', 3300, 'http://localhost:3300'],
    ['127.0.0.1', 3000, 'http://127.0.0.1:3000'],
    ['::1', 8080, 'http://[::1]:8080'],
    ['hooks.internal', 80, 'http://hooks.internal:80'],
  ])('%s:%d → %s', (host, port, url) => {
    expect(gatewayUrl(host, port)).toBe(url);
  });
});
