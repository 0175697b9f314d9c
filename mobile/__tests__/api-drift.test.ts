/** The committed client types are what openapi-typescript makes of the committed schema (the schema
 * itself is checked against the gateway by tests/unit/test_openapi_dump.py). */
import { execFileSync } from "node:child_process";
import { join } from "node:path";

test("src/api/schema.d.ts is generated from src/api/openapi.json", () => {
  const out = execFileSync(process.execPath, [join(__dirname, "..", "scripts", "gen-api.mjs"), "--check"], { encoding: "utf8" });
  expect(out).toMatch(/is current/);
});
