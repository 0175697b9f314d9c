/**
 * A scripted gateway for unit and component tests: answers by "METHOD /path" with the gateway's
 * own response shapes (problem+json errors as serving/errors.py writes them) and records every
 * request. The browser e2e test (e2e/) runs the app against the real gateway.
 */
export type Handler = (req: Recorded) => [number, unknown] | Promise<[number, unknown]> | Response | Promise<Response>;
export type Recorded = { method: string; path: string; query: URLSearchParams; headers: Headers; body: unknown };

export const problem = (status: number, code: string, detail = code, extra: Record<string, unknown> = {}) => ({
  type: `https://cofre.local/problems/${code}`,
  title: "Error",
  status,
  code,
  detail,
  ...extra,
});

export class FakeGateway {
  readonly calls: Recorded[] = [];
  private readonly routes = new Map<string, Handler[]>();

  /** Add a handler; several for one route are used in turn, the last one repeats. */
  on(route: string, ...handlers: Handler[]): this {
    this.routes.set(route, [...(this.routes.get(route) ?? []), ...handlers]);
    return this;
  }

  callsTo(route: string): Recorded[] {
    return this.calls.filter((c) => `${c.method} ${c.path}` === route);
  }

  fetch = async (input: Request): Promise<Response> => {
    const url = new URL(input.url);
    const path = url.pathname.replace(/^\/api/, "");
    let body: unknown = null;
    const ct = input.headers.get("content-type") ?? "";
    if (input.method !== "GET" && input.method !== "HEAD") {
      const text = await input.text();
      body = ct.includes("json") && text ? JSON.parse(text) : text;
    }
    const rec: Recorded = { method: input.method, path, query: url.searchParams, headers: input.headers, body };
    this.calls.push(rec);
    const key = `${input.method} ${path}`;
    const list = this.routes.get(key);
    if (!list?.length) return json(404, problem(404, "not_found", `no route ${key}`));
    const h = list.length > 1 ? list.shift()! : list[0];
    const out = await h(rec);
    if (out instanceof Response) return out;
    return json(out[0], out[1]);
  };
}

export function json(status: number, body: unknown): Response {
  if (status === 204) return new Response(null, { status });
  const isProblem = status >= 400 && body && typeof body === "object" && "code" in (body as object);
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": isProblem ? "application/problem+json" : "application/json" },
  });
}

export const TOKENS = { access_token: "acc-1", refresh_token: "ref-1", token_type: "bearer", expires_in: 900, acr: "basic", amr: ["pwd"] };
