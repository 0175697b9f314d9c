// The real parts the browser e2e test runs against: the prepared gateway home, `cofre serve` on a free
// loopback port, the web export served with the /api proxy, and a small HTTP client for the steps
// a second person (payee, admin) does outside the app.
import { execFile, spawn } from "node:child_process";
import { generateKeyPairSync, sign } from "node:crypto";
import { existsSync } from "node:fs";
import net from "node:net";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

import { serveWeb } from "../scripts/serve-web.mjs";

const run = promisify(execFile);
export const APP = resolve(dirname(fileURLToPath(import.meta.url)), "..");
export const REPO = resolve(APP, "..");

export function python() {
  if (process.env.COFRE_PYTHON) return process.env.COFRE_PYTHON;
  const venv = join(REPO, ".venv/bin/python");
  return existsSync(venv) ? venv : "python3";
}

const pyEnv = (extra = {}) => ({
  ...process.env,
  PYTHONPATH: [REPO, process.env.PYTHONPATH].filter(Boolean).join(":"),
  COFRE_PROFILE: "embedded",
  COFRE_FEAST_PROJECT: "cofre_e2e",
  ...extra,
});

export async function freePort() {
  return new Promise((ok, fail) => {
    const s = net.createServer();
    s.once("error", fail);
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** Build (or reuse) the lake + models part of the home; the gateway state is always fresh. */
export async function prepareHome(home) {
  const { stdout, stderr } = await run(python(), [join(APP, "e2e/prepare_home.py"), "--home", home], {
    cwd: REPO,
    env: pyEnv(),
    timeout: 15 * 60_000,
    maxBuffer: 64 << 20,
  });
  process.stderr.write(stderr.split("\n").filter((l) => l.startsWith("e2e home")).join("\n") + "\n");
  return JSON.parse(stdout.trim().split("\n").pop());
}

export async function cofre(home, ...args) {
  return run(python(), ["-m", "cofre.cli", ...args], { cwd: REPO, env: pyEnv({ COFRE_HOME: home }), timeout: 120_000 });
}

/** `cofre serve` on a free port; resolves once /ready says ready (bounded). */
export async function startGateway(home, { readyTimeoutMs = 240_000 } = {}) {
  const port = await freePort();
  const proc = spawn(python(), ["-m", "cofre.cli", "serve", "--port", String(port), "--log-level", "warning"], {
    cwd: REPO,
    env: pyEnv({ COFRE_HOME: home, COFRE_RATE_LIMIT: "100000/minute" }),
    stdio: ["ignore", "inherit", "inherit"],
  });
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + readyTimeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`gateway exited with ${proc.exitCode}`);
    try {
      const r = await fetch(`${url}/ready`);
      if (r.ok) return { url, stop: () => proc.kill("SIGTERM"), proc };
    } catch {
      // not listening yet
    }
    await new Promise((r) => setTimeout(r, 500));
  }
  proc.kill("SIGKILL");
  throw new Error("gateway not ready in time");
}

export async function startWeb(gatewayUrl) {
  const dist = join(APP, "dist");
  if (!existsSync(join(dist, "index.html"))) throw new Error("no web export: run `npx expo export --platform web --output-dir dist` first");
  const { server, url } = await serveWeb({ port: 0, gateway: gatewayUrl, dist });
  return { url, stop: () => new Promise((ok) => server.close(ok)) };
}

/** A customer driven over HTTP (the payee, the admin): login, device key, step-up, keys, BR Codes. */
export class Customer {
  constructor(base, email, password) {
    Object.assign(this, { base, email, password });
  }

  async call(method, path, { body, token, headers = {} } = {}) {
    const r = await fetch(this.base + path, {
      method,
      headers: {
        ...(body ? { "content-type": "application/json" } : {}),
        authorization: `Bearer ${token ?? this.access}`,
        ...headers,
      },
      body: body ? JSON.stringify(body) : undefined,
    });
    const data = r.status === 204 ? null : await r.json();
    if (!r.ok) throw new Error(`${method} ${path}: ${r.status} ${JSON.stringify(data)}`);
    return data;
  }

  async register(cpf, name) {
    const r = await fetch(this.base + "/auth/register", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ cpf, name, email: this.email, password: this.password }),
    });
    if (r.status !== 201) throw new Error(`register: ${r.status} ${await r.text()}`);
    this.user = await r.json();
    return this.user;
  }

  async login() {
    const r = await fetch(this.base + "/auth/login", {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ email: this.email, password: this.password }),
    });
    if (!r.ok) throw new Error(`login: ${r.status} ${await r.text()}`);
    this.access = (await r.json()).access_token;
  }

  async stepUp() {
    if (!this.device) {
      const { privateKey, publicKey } = generateKeyPairSync("ec", { namedCurve: "P-256" });
      const jwk = publicKey.export({ format: "jwk" });
      const d = await this.call("POST", "/auth/devices", { body: { name: "e2e", public_key: { kty: "EC", crv: "P-256", x: jwk.x, y: jwk.y } } });
      this.device = { id: d.device_id, privateKey };
    }
    const ch = await this.call("POST", "/auth/step-up/challenge", { body: { device_id: this.device.id } });
    const sig = sign("sha256", Buffer.from(ch.challenge, "ascii"), { key: this.device.privateKey, dsaEncoding: "der" });
    const tok = await this.call("POST", "/auth/step-up", { body: { challenge_id: ch.challenge_id, signature: sig.toString("base64url") } });
    return tok.access_token;
  }
}

/** The one-time code the SMS/e-mail sandbox "sent" to a phone (E.164) or e-mail, read with
 * `cofre sandbox outbox` (the gateway runs the sandbox in-process in the embedded profile). */
export async function codeSentTo(home, to, { timeoutMs = 20_000 } = {}) {
  const recipient = to.startsWith("+") ? to.slice(1) : to;
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    const { stdout } = await cofre(home, "sandbox", "outbox", "--to", recipient, "--last", "1");
    const line = stdout.trim().split("\n").filter(Boolean).pop();
    const m = line && JSON.stringify(JSON.parse(line)).match(/ é (\d{6})\b/);
    if (m) return m[1];
    await new Promise((r) => setTimeout(r, 500));
  }
  throw new Error(`no code sent to ${to}`);
}
