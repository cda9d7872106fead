/** Posts a callback and returns status, headers and the parsed body. */
export async function postCallback(
  url: string,
  body: unknown,
  options: { contentType?: string; method?: string; headers?: Record<string, string> } = {},
): Promise<{ status: number; headers: Headers; body: Record<string, unknown> }> {
  const contentType = options.contentType ?? 'application/json';
  const payload =
    typeof body === 'string' || body instanceof Uint8Array
      ? body
      : contentType.includes('form')
        ? new URLSearchParams(body as Record<string, string>).toString()
        : JSON.stringify(body);
  const res = await fetch(url, {
    method: options.method ?? 'POST',
    headers: { 'content-type': contentType, ...options.headers },
    ...(options.method === 'GET' ? {} : { body: payload }),
  });
  const text = await res.text();
  let parsed: Record<string, unknown> = {};
  try {
    parsed = text ? (JSON.parse(text) as Record<string, unknown>) : {};
  } catch {
    parsed = { text };
  }
  return { status: res.status, headers: res.headers, body: parsed };
}

export async function eventually<T>(fn: () => Promise<T | undefined>, timeoutMs = 15_000, everyMs = 100): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < end) {
    try {
      const v = await fn();
      if (v !== undefined) return v;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`condition not met in ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
}
