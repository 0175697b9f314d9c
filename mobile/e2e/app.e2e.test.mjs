// Browser end-to-end test of the app against the REAL gateway on loopback: a prepared small world
// with trained models (prepare_home.py), `cofre serve`, the web export behind the /api proxy, driven
// by playwright-core with Debian's chromium. One screenshot per screen goes to var/e2e/; any console
// error (other than the browser's own log line for an expected 4xx answer of the gateway) fails it.
//   node --test e2e/            (from mobile/, after `npx expo export --platform web --output-dir dist`)
import assert from "node:assert/strict";
import { mkdirSync, readdirSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";

import { chromium } from "playwright-core";

import { cofre, codeSentTo, Customer, prepareHome, REPO, startGateway, startWeb } from "./stack.mjs";

const SHOTS = join(REPO, "var/e2e");
const HOME = process.env.COFRE_E2E_HOME ?? join(REPO, "var/e2e/home");
const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const STEP_MS = 20_000; // bound for any single UI wait
const PASSWORD = "correct horse battery";

let gateway, web, browser, page, people, profileDir;
const consoleErrors = [];
const shots = [];
const t0 = Date.now();

before(async () => {
  mkdirSync(SHOTS, { recursive: true });
  for (const f of readdirSync(SHOTS)) if (/^\d\d-.*\.png$/.test(f)) rmSync(join(SHOTS, f));
  ({ people } = await prepareHome(HOME));
  gateway = await startGateway(HOME);
  web = await startWeb(gateway.url);
  profileDir = join(SHOTS, `.chromium-${process.pid}`);
  rmSync(profileDir, { recursive: true, force: true });
  // a fresh --user-data-dir per run (playwright passes it for a persistent context)
  browser = await chromium.launchPersistentContext(profileDir, {
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
    timeout: 60_000,
    viewport: { width: 412, height: 915 },
    locale: "pt-BR",
    timezoneId: "America/Sao_Paulo", // the device of a customer in Brazil: times as the gateway words them
    acceptDownloads: true,
  });
  page = browser.pages()[0] ?? (await browser.newPage());
  page.setDefaultTimeout(STEP_MS);
  page.on("dialog", (d) => d.accept()); // the web build's biometric seam (window.confirm)
  page.on("pageerror", (e) => consoleErrors.push(`pageerror: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() !== "error") return;
    const url = m.location()?.url ?? "";
    // Chrome logs every non-2xx fetch; the gateway's 4xx answers are part of the flows under test
    if (/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text()) && url.includes("/api/")) return;
    consoleErrors.push(m.text());
  });
});

after(async () => {
  await browser?.close().catch(() => {});
  rmSync(profileDir ?? "/nonexistent", { recursive: true, force: true });
  await web?.stop();
  gateway?.stop();
  console.log(`e2e wall time: ${((Date.now() - t0) / 1000).toFixed(1)} s; screenshots: ${shots.length} in var/e2e/`);
});

const byId = (id) => page.getByTestId(id);

/** var/e2e/NN-name.png, numbered in the order of the journey; returns the path. */
async function shot(name) {
  await page.waitForTimeout(150); // let the last frame paint
  const path = join(SHOTS, `${String(shots.length + 1).padStart(2, "0")}-${name}.png`);
  await page.screenshot({ path });
  shots.push(path);
  return path;
}

async function hasText(id, text) {
  await byId(id).filter({ hasText: text }).waitFor();
}

async function typeInto(id, text) {
  const el = byId(id);
  await el.click();
  await el.fill("");
  await el.pressSequentially(text);
}

test("the customer journey in the browser against the real gateway", { timeout: 15 * 60_000 }, async () => {
  try {
    await journey();
  } catch (e) {
    await page.screenshot({ path: join(SHOTS, "failure.png") }).catch(() => {});
    throw e;
  }
});

async function journey() {
  const maria = { cpf: people[0].cpf, phone: people[0].phone, email: `maria.${Date.now()}@e2e.cofre.test`, name: "Maria Oliveira" };
  // the payee and the bank's operator act outside the app, over HTTP
  const joao = new Customer(gateway.url, `joao.${Date.now()}@e2e.cofre.test`, PASSWORD);
  await joao.register(people[1].cpf, "João Souza");
  await joao.login();
  const admin = new Customer(gateway.url, `ops.${Date.now()}@e2e.cofre.test`, PASSWORD);
  await admin.register(people[2].cpf, "Operações Cofre");
  await cofre(HOME, "db", "grant-role", admin.email, "admin");
  await admin.login();
  // the assistant loads its retrieval models on its first question: warm it up while the journey runs
  const warm = joao.call("POST", "/chat/messages", { body: { text: "oi" } }).catch((e) => e);

  // --- onboarding: register with the masked CPF, which signs in
  await page.goto(web.url);
  await byId("screen-login").waitFor();
  await shot("login");
  await byId("go-register").click();
  await byId("screen-register").waitFor();
  await typeInto("register-cpf", "123");
  await typeInto("register-name", "Maria");
  await byId("register-submit").click();
  await byId("register-cpf-error").waitFor();
  assert.equal(await byId("register-cpf").inputValue(), "123");
  await typeInto("register-cpf", maria.cpf);
  assert.equal(await byId("register-cpf").inputValue(), `${maria.cpf.slice(0, 3)}.${maria.cpf.slice(3, 6)}.${maria.cpf.slice(6, 9)}-${maria.cpf.slice(9)}`);
  await typeInto("register-name", maria.name);
  await typeInto("register-email", maria.email);
  await typeInto("register-password", PASSWORD);
  await shot("register");
  await byId("register-submit").click();
  await byId("balance").waitFor();
  assert.equal(await byId("balance").innerText(), "R$ 0,00");

  // --- balance after an admin deposit (pull to refresh / Atualizar)
  const me = new Customer(gateway.url, maria.email, PASSWORD);
  await me.login();
  const account = await me.call("GET", "/accounts/me");
  await admin.call("POST", "/admin/deposits", { body: { account_id: account.id, amount_cents: 1_000_000 }, headers: { "Idempotency-Key": `dep-${Date.now()}` } });
  await byId("home-refresh").click();
  await hasText("balance", "R$ 10.000,00");
  await shot("home");

  // --- the score: first the LGPD consent, then (a new login only claims its CPF) identity proofing
  await byId("tab-credito").click();
  await byId("consent-gate-credit_analysis").waitFor();
  await shot("credit-consent");
  await byId("consent-grant-credit_analysis").click();
  await byId("identity-gate").waitFor();
  await shot("credit-identity-gate");
  await byId("identity-start").click();
  await byId("identity-channel-sms").click();
  await typeInto("identity-destination", maria.phone.slice(3));
  assert.equal(await byId("identity-destination").inputValue(), `(${maria.phone.slice(3, 5)}) ${maria.phone.slice(5, 10)}-${maria.phone.slice(10)}`);
  await byId("identity-send-code").click();
  await byId("identity-otp-sent").waitFor();
  await shot("identity-code");
  const code = await codeSentTo(HOME, maria.phone);
  await typeInto("identity-code", code);
  await byId("identity-verify").click();
  await byId("identity-verified").waitFor();
  await shot("identity-verified");
  assert.equal((await me.call("GET", "/kyc/status")).status, "verified");
  await byId("identity-back").click();
  await byId("credit-score-value").waitFor();
  await byId("credit-reason-0").waitFor();
  await shot("credit");

  // --- enrol this device (the biometric prompt is the web build's confirm dialog)
  await byId("tab-mais").click();
  await byId("more-device").click();
  await byId("device-enrol").click();
  await byId("device-done").waitFor();
  await shot("device");
  await page.goBack();

  // --- my own PIX key (step-up) and a BR Code to receive
  await byId("tab-pix").click();
  await byId("pix-keys").click();
  await byId("new-key-submit").click();
  await byId("keys-done").waitFor();
  await shot("pix-keys");
  await page.goBack();
  await byId("pix-receive").click();
  await byId("receive-generate").click();
  await byId("receive-qr").waitFor();
  await shot("pix-receive");
  await page.goBack();

  // --- PIX by key (e-mail key, outside the bank): review, confirm, done
  await byId("pix-by-key").click();
  await byId("key-type-EMAIL").click();
  await typeInto("pix-key", "ana.souza@example.com");
  await typeInto("pix-amount", "5000");
  assert.equal(await byId("pix-amount").inputValue(), "50,00");
  await byId("pix-continue").click();
  await hasText("review-amount", "R$ 50,00");
  await shot("pix-review");
  await byId("review-confirm").click();
  await byId("pix-outcome-done").waitFor();
  await hasText("outcome-balance", "R$ 9.950,00");
  const receipt = await shot("pix-done");
  await byId("outcome-done").click();
  await hasText("balance", "R$ 9.950,00");

  // --- PIX by BR Code (copia e cola) generated by another customer of the bank
  const joaoStep = await joao.stepUp();
  const joaoKey = await joao.call("POST", "/pix/keys", { body: { key_type: "EVP" }, token: joaoStep });
  const { brcode } = await joao.call("POST", "/pix/brcode", { body: { key_id: joaoKey.id, amount_cents: 1234 } });
  await byId("tab-pix").click();
  await byId("pix-paste").click();
  await byId("brcode-input").fill(brcode);
  await byId("brcode-continue").click();
  await hasText("review-amount", "R$ 12,34");
  await hasText("review-key", joaoKey.key);
  await shot("pix-brcode-review");
  await byId("review-confirm").click();
  await byId("pix-outcome-done").waitFor();
  await shot("pix-brcode-done");
  assert.equal((await joao.call("GET", "/accounts/me")).balance_cents, 1234);
  await byId("outcome-done").click();

  // --- a middle PIX to a new recipient: biometric step-up, then the fraud screen holds it for review
  // (202: the amount is reserved, not debited); the bank's analyst refuses it and the customer is told
  // (the e2e world's fraud labels: middle amounts are sometimes fraud, large ones mostly)
  await byId("tab-pix").click();
  await byId("pix-by-key").click();
  await byId("key-type-EMAIL").click();
  await typeInto("pix-key", "desconhecido@example.com");
  await typeInto("pix-amount", "300000");
  await byId("pix-continue").click();
  await byId("review-confirm").click();
  await byId("pix-outcome-held").waitFor();
  await page.getByText("Transferência em análise").waitFor();
  await hasText("outcome-held-amount", "R$ 3.000,00");
  await hasText("outcome-available", "R$ 6.937,66");
  await byId("outcome-deadline").waitFor();
  await shot("pix-held");
  const after = await me.call("GET", "/accounts/me");
  assert.deepEqual(
    [after.balance_cents, after.held_cents, after.available_cents],
    [1_000_000 - 5000 - 1234, 300_000, 1_000_000 - 5000 - 1234 - 300_000],
    "a hold reserves the amount and debits nothing",
  );
  await byId("outcome-done").click();
  await hasText("balance", "R$ 6.937,66");
  await hasText("balance-held-amount", "Reservado em análise: R$ 3.000,00");
  await byId("notice-pix_held").waitFor();
  await shot("home-held");
  const [held] = await me.call("GET", "/pix/transfers?status=held");
  await admin.call("POST", `/admin/pix/transfers/${held.id}/refuse`, { body: { note: "e2e: recusado pelo analista" } });
  await byId("home-refresh").click();
  await hasText("balance", "R$ 9.937,66");
  await byId("notice-pix_refused").waitFor();
  await shot("home-refused");
  for (const n of await me.call("GET", "/notifications?unread=true")) await byId(`notice-read-${n.id}`).click();
  await byId("notice-pix_refused").waitFor({ state: "detached" });

  // --- a large one is refused outright by the fraud screen: nothing moves
  await byId("tab-pix").click();
  await byId("pix-by-key").click();
  await byId("key-type-EMAIL").click();
  await typeInto("pix-key", "outro.desconhecido@example.com");
  await typeInto("pix-amount", "450000");
  await byId("pix-continue").click();
  await byId("review-confirm").click();
  await byId("pix-outcome-blocked").waitFor();
  await shot("pix-fraud");
  assert.equal((await me.call("GET", "/accounts/me")).available_cents, 1_000_000 - 5000 - 1234, "no money left on a fraud block");
  await byId("outcome-done").click();

  // --- a PIX received by mistake, given back from the statement (devolução)
  const [myKey] = await me.call("GET", "/pix/keys");
  const sent = await joao.call("POST", "/pix/transfers", { body: { key: myKey.key, amount_cents: 1000 }, headers: { "Idempotency-Key": `joao-${Date.now()}` } });
  assert.equal(sent.status, "completed");
  await byId("home-refresh").click();
  await hasText("balance", "R$ 9.947,66");
  await byId(`entry-${sent.id}`).click();
  await hasText("refund-refundable", "R$ 10,00");
  await typeInto("refund-note", "Pix recebido por engano");
  await shot("pix-refund");
  await byId("refund-confirm").click();
  await byId("refund-done").waitFor();
  await hasText("refund-balance", "R$ 9.937,66");
  assert.equal((await joao.call("GET", "/accounts/me")).balance_cents, 1234, "the payer got the refund");
  const refunds = await me.call("GET", `/pix/transfers/${sent.id}/refunds`);
  assert.equal(refunds.refundable_cents, 0);
  await byId("refund-back").click();

  // --- offers behind the marketing consent
  await byId("tab-ofertas").click();
  await byId("consent-grant-marketing").click();
  await byId("offers-profile").waitFor();
  await byId("offers-questionnaire").click();
  for (const q of ["objetivo", "horizonte", "tolerancia_risco", "conhecimento", "situacao_financeira"]) await byId(`q-${q}-2`).click();
  await byId("questionnaire-save").click();
  await byId("offers-profile").filter({ hasText: /Conservador:|Moderado:|Arrojado:/ }).waitFor();
  await shot("offers");

  // --- privacy: revoke and grant consents, request and download the data export
  await byId("tab-mais").click();
  await byId("more-privacy").click();
  await byId("consent-toggle-marketing").click();
  await page.getByText("Consentimento revogado: ofertas personalizadas.").waitFor();
  await byId("consent-toggle-fraud_prevention").click();
  await page.getByText("Consentimento concedido: prevenção a fraudes.").waitFor();
  const consents = Object.fromEntries((await me.call("GET", "/lgpd/consents")).map((c) => [c.purpose, c.granted]));
  assert.deepEqual(consents, { credit_analysis: true, fraud_prevention: true, marketing: false, open_finance_sharing: false });
  await byId("lgpd-export").click();
  await page.getByText(/Pedido registrado|está pronta para baixar/).waitFor();
  const req = (await me.call("GET", "/lgpd/requests")).find((r) => r.kind === "access");
  await byId(`lgpd-request-status-${req.id}`).filter({ hasText: "Concluído" }).waitFor({ timeout: 90_000 }); // built in the background
  const [download] = await Promise.all([page.waitForEvent("download"), byId(`lgpd-download-${req.id}`).click()]);
  const zip = join(SHOTS, `.export-${process.pid}.zip`);
  await download.saveAs(zip);
  assert.ok(statSync(zip).size > 100, "the export zip has content");
  rmSync(zip);
  await shot("privacy");
  await page.goBack();

  // --- support chat
  await warm;
  await byId("more-chat").click();
  await typeInto("chat-input", "Qual é o meu saldo?");
  await byId("chat-send").click();
  await byId("chat-line-2").waitFor();
  await shot("chat");
  await page.goBack();

  // --- identity proofing screen
  await byId("more-identity").click();
  await byId("identity-verified").waitFor();
  await page.goBack();

  // --- documents: upload a receipt image from a file
  await byId("more-documents").click();
  const [chooser] = await Promise.all([page.waitForEvent("filechooser"), byId("document-file").click()]);
  await chooser.setFiles(receipt);
  await byId("documents-done").waitFor();
  await shot("documents");
  await page.goBack();

  // --- logout, then login again
  await byId("logout").click();
  await byId("screen-login").waitFor();
  await typeInto("login-email", maria.email);
  await typeInto("login-password", PASSWORD);
  await byId("login-submit").click();
  await hasText("balance", "R$ 9.937,66");

  assert.deepEqual(consoleErrors, [], "no console errors");
}
