// Serve the web export (dist/) on 127.0.0.1 and proxy /api/* to the gateway, so the browser talks to
// the gateway from the app's own origin (no CORS). Used by `make app-web` and the e2e test.
//   node scripts/serve-web.mjs [--port 8081] [--gateway http://127.0.0.1:8000] [--dist dist]
import { createReadStream, existsSync, statSync } from "node:fs";
import http from "node:http";
import { extname, join, normalize, resolve } from "node:path";

const TYPES = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript; charset=utf-8",
  ".css": "text/css; charset=utf-8",
  ".json": "application/json",
  ".png": "image/png",
  ".jpg": "image/jpeg",
  ".svg": "image/svg+xml",
  ".ico": "image/x-icon",
  ".ttf": "font/ttf",
  ".woff2": "font/woff2",
  ".map": "application/json",
};

/** Start the server; resolves to {server, url}. */
export function serveWeb({ port = 8081, host = "127.0.0.1", gateway = "http://127.0.0.1:8000", dist = "dist" } = {}) {
  const root = resolve(dist);
  const upstream = new URL(gateway);
  const server = http.createServer((req, res) => {
    if (req.url.startsWith("/api/")) {
      const headers = { ...req.headers, host: upstream.host };
      delete headers.origin;
      const p = http.request(
        { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url.slice(4), headers },
        (up) => {
          res.writeHead(up.statusCode ?? 502, up.headers);
          up.pipe(res);
        },
      );
      p.on("error", () => {
        res.writeHead(502, { "content-type": "application/problem+json" });
        res.end(JSON.stringify({ type: "about:blank", title: "Bad Gateway", status: 502, code: "unavailable", detail: "gateway unreachable" }));
      });
      req.pipe(p);
      return;
    }
    const path = normalize(decodeURIComponent(new URL(req.url, "http://x").pathname)).replace(/^(\.\.[/\\])+/, "");
    let file = join(root, path);
    if (!file.startsWith(root) || !existsSync(file) || statSync(file).isDirectory()) file = join(root, "index.html"); // SPA routes
    res.writeHead(200, { "content-type": TYPES[extname(file)] ?? "application/octet-stream", "cache-control": "no-store" });
    createReadStream(file).pipe(res);
  });
  return new Promise((ok, fail) => {
    server.once("error", fail);
    server.listen(port, host, () => ok({ server, url: `http://${host}:${server.address().port}` }));
  });
}

if (import.meta.url === `file://${process.argv[1]}`) {
  const arg = (name, dflt) => {
    const i = process.argv.indexOf(`--${name}`);
    return i > 0 ? process.argv[i + 1] : dflt;
  };
  const { url } = await serveWeb({
    port: Number(arg("port", process.env.PORT ?? 8081)),
    gateway: arg("gateway", process.env.COFRE_GATEWAY_URL ?? "http://127.0.0.1:8000"),
    dist: arg("dist", "dist"),
  });
  console.log(`cofre web app on ${url} (API proxied to ${arg("gateway", process.env.COFRE_GATEWAY_URL ?? "http://127.0.0.1:8000")})`);
}
