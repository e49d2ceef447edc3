// /verify/, "Check many at once": pasted addresses and chosen files, each verified in this
// browser by the same verifier as a single credential (same checks, same words), shown as a
// sortable table and exported as CSV from memory (a Blob; nothing is uploaded).
import { credentialText } from "./bake.js";
import { makeResolver, verifyCredential } from "./core.js";
import { claims, longDate } from "./fields.js";
import {
  addressesOf, credentialFromAddress, eachLimited, MAX_ENTRIES, SourceProblem, sharedResolver,
} from "./sources.js";
import { standingOf } from "./standing.js";
import { dropZone } from "./ui.js";

const CONCURRENCY = 4;
const LABELS = {
  format: "Format", issuer: "Issuer's key", signature: "Signature", dates: "Dates",
  revocation: "Revocation", recipient: "Recipient",
};
// The verdict column: the opening words of the verifier's summary sentence (summary.* of
// messages.json), the summary line: how many of each.
const VERDICTS = {
  valid: ["Genuine and current", "valid"],
  revoked: ["Genuine, but revoked", "revoked"],
  expired: ["Genuine, but expired", "expired"],
  "not-yet-valid": ["Genuine, but not valid yet", "not valid yet"],
  "not-valid": ["Genuine, but not valid", "not valid"],
  "other-recipient": ["Genuine, but for someone else", "for someone else"],
  unchecked: ["Genuine, but not fully checked", "not fully checked"],
  unconfirmed: ["Not confirmed as genuine", "not confirmed as genuine"],
  forged: ["NOT AUTHENTIC", "not authentic"],
  unread: ["Not checked", "not checked"],
  pending: ["Checking…", "still checking"],
};
export const COLUMNS = [
  ["number", "No."], ["source", "Source"], ["earner", "Earner"], ["badge", "Badge"],
  ["issuer", "Issuer"], ["issued", "Issued"], ["verdict", "Verdict"], ["failing", "Failing check"],
];

const form = document.getElementById("bulk-form");
const text = document.getElementById("bulk-addresses");
const fileInput = document.getElementById("bulk-files");
const drop = document.getElementById("bulk-drop");
const fileNames = document.getElementById("bulk-file-names");
const results = document.getElementById("bulk-results");
const summary = document.getElementById("bulk-summary");
const progress = document.getElementById("bulk-progress");
const exportButton = document.getElementById("bulk-export");
const table = document.getElementById("bulk-table");
const siteRoot = new URL("../../../", import.meta.url).href;

let files = [];
let rows = [];
let sort = { key: "number", dir: "ascending" };
let run = 0; // a newer check or a reset makes an older one's late answers void

// The first failing check, else the first that could not be completed (recipient aside:
// no email is given here).
function failingOf(checks) {
  for (const status of ["fail", "unknown"]) {
    const c = checks.find((k) => k.status === status && k.check !== "recipient");
    if (c) return { check: c.check, text: `${LABELS[c.check] || c.check}: ${c.message}` };
  }
  return { check: "", text: "" };
}

// The host of the issuer's identifier (did:web:host… or https://host/…): the keys a
// credential is verified against are published there, so it, not the name the issuer
// gives itself (anyone can sign as "Example University"), says who vouches for the row.
export function issuerHost(credential) {
  const issuer = credential && credential.issuer;
  const id = String((issuer && typeof issuer === "object" ? issuer.id : issuer) || "");
  try {
    if (id.startsWith("did:web:")) return decodeURIComponent(id.slice(8).split(":")[0]).toLowerCase();
    return new URL(id).host;
  } catch {
    return "";
  }
}

function rowOf(result) {
  const standing = standingOf(result).standing;
  const c = claims(result.credential || {});
  const failing = failingOf(result.checks);
  return {
    earner: result.credential ? c.earner || "Name withheld" : "", badge: c.badge,
    issuer: issuerHost(result.credential) && c.issuer !== issuerHost(result.credential)
      ? `${c.issuer} (${issuerHost(result.credential)})` : c.issuer,
    issued: c.validFrom ? c.validFrom.slice(0, 10) : "", issuedLong: longDate(c.validFrom),
    verdict: VERDICTS[standing][0], outcome: result.verdict, standing,
    failing: failing.text, failingCheck: failing.check,
  };
}

const unread = (e) => ({
  earner: "", badge: "", issuer: "", issued: "", issuedLong: "", verdict: VERDICTS.unread[0],
  outcome: e.verdict || "invalid", standing: "unread", failing: e.message, failingCheck: "source",
});

async function check(entry, resolver, now) {
  try {
    const input = entry.file ? await credentialText(entry.file) : await credentialFromAddress(entry.address, {
      siteBase: form.dataset.siteBase, siteRoot, origin: location.origin,
    });
    return rowOf(await verifyCredential(input, { resolver, now }));
  } catch (e) {
    if (e instanceof SourceProblem) return unread(e);
    if (entry.file) return unread({ message: `Could not read a credential from this file (${e.message}).` });
    return unread({ message: `The verifier stopped: ${e.message}`, verdict: "unknown" });
  }
}

function compare(a, b) {
  const { key, dir } = sort;
  const order = key === "number" ? a.number - b.number
    : String(a[key]).localeCompare(String(b[key]), "en", { numeric: true, sensitivity: "base" }) || a.number - b.number;
  return dir === "ascending" ? order : -order;
}

const ordered = () => [...rows].sort(compare);

function cell(tag, value, attrs = {}) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.textContent = value;
  return node;
}

function renderRow(row) {
  const tr = document.createElement("tr");
  tr.dataset.number = String(row.number);
  tr.dataset.verdict = row.outcome;
  tr.dataset.standing = row.standing;
  for (const [key] of COLUMNS) {
    const attrs = { "data-col": key };
    if (key === "failing" && row.failingCheck) attrs["data-check"] = row.failingCheck;
    const td = cell(key === "number" ? "th" : "td", String(row[key]), attrs);
    if (key === "number") td.setAttribute("scope", "row");
    if (key === "issued" && row.issuedLong) td.title = row.issuedLong;
    tr.append(td);
  }
  return tr;
}

function renderTable() {
  table.tBodies[0].replaceChildren(...ordered().map(renderRow));
  for (const th of table.tHead.rows[0].cells) {
    if (th.dataset.col === sort.key) th.setAttribute("aria-sort", sort.dir);
    else th.removeAttribute("aria-sort");
  }
}

function counts() {
  const n = {};
  for (const r of rows) n[r.standing] = (n[r.standing] || 0) + 1;
  const parts = Object.keys(VERDICTS).filter((k) => n[k]).map((k) => `${n[k]} ${VERDICTS[k][1]}`);
  return `${rows.length} checked: ${parts.join(", ")}.`;
}

// RFC 4180: every field quoted where needed, CRLF between records. A cell a spreadsheet
// would run as a formula (= + - @ or their full-width forms, even after blanks or invisible
// characters, or a tab or line break first) gets a ' in front: names come from credentials
// of any issuer, so an attacker writes them.
const FORMULA = /^[\s\u0000-\u001f\u007f-\u00a0\u200b-\u200f\u2028-\u202f\u2060\ufeff]*[=+\-@\uff1d\uff0b\uff0d\uff20]|^[\t\r\n]/;
export function csvField(value) {
  let v = String(value);
  if (FORMULA.test(v)) v = `'${v}`;
  return /[",\r\n]/.test(v) ? `"${v.replace(/"/g, '""')}"` : v;
}

export function toCsv(records) {
  return records.map((r) => r.map(csvField).join(",")).join("\r\n") + "\r\n";
}

function exportCsv() {
  const records = [COLUMNS.map(([, label]) => label), ...ordered().map((r) => COLUMNS.map(([k]) => String(r[k])))];
  // a byte order mark, so spreadsheets read the names as UTF-8
  const blob = new Blob(["\ufeff", toCsv(records)], { type: "text/csv;charset=utf-8" });
  const link = document.createElement("a");
  link.href = URL.createObjectURL(blob);
  link.download = `credentials-checked-${new Date().toISOString().slice(0, 10)}.csv`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(link.href), 10000);
}

// The summary becomes a live region as soon as someone turns to this form (before anything is
// written to it, so the count is announced), not before: until then the single check's
// verdict is the page's one live line.
function liven() {
  if (!summary.hasAttribute("role")) summary.setAttribute("role", "status");
}

function showFiles() {
  fileNames.textContent = files.length
    ? `${files.length} file${files.length === 1 ? "" : "s"} to check: ${files.map((f) => f.name).join(", ")}` : "";
}

async function checkAll() {
  const entries = [...addressesOf(text.value).map((address) => ({ address })), ...files.map((file) => ({ file }))];
  const mine = ++run;
  liven();
  results.hidden = false;
  exportButton.disabled = true;
  rows = [];
  renderTable();
  if (!entries.length) {
    summary.textContent = "Nothing to check: paste credential addresses, one per line, or choose files.";
    return;
  }
  if (entries.length > MAX_ENTRIES) {
    summary.textContent = `That is ${entries.length} credentials; at most ${MAX_ENTRIES} are checked at once. Split the list and check each part.`;
    return;
  }
  summary.textContent = "";
  rows = entries.map((e, i) => ({
    number: i + 1, source: e.address || e.file.name, ...unread({ message: "" }),
    verdict: VERDICTS.pending[0], standing: "pending", outcome: "pending", failingCheck: "",
  }));
  renderTable();
  const resolver = sharedResolver(makeResolver({ siteBase: form.dataset.siteBase, siteRoot }));
  const now = new Date();
  let done = 0;
  progress.textContent = `Checked 0 of ${rows.length}…`;
  await eachLimited(entries, CONCURRENCY, async (entry, i) => {
    if (mine !== run) return; // cleared or started again: fetch nothing more for this list
    const row = await check(entry, resolver, now);
    if (mine !== run) return;
    rows[i] = { ...rows[i], ...row };
    done += 1;
    progress.textContent = `Checked ${done} of ${rows.length}…`;
    const old = table.tBodies[0].querySelector(`tr[data-number="${i + 1}"]`);
    if (old) old.replaceWith(renderRow(rows[i]));
  });
  if (mine !== run) return;
  renderTable();
  progress.textContent = `Checked in your browser on ${now.toISOString().slice(0, 10)}; nothing was uploaded.`;
  results.dataset.state = "done";
  exportButton.disabled = false;
  summary.textContent = counts(); // last: the one change the live region announces
}

for (const th of table.tHead.rows[0].cells) {
  th.querySelector("button").addEventListener("click", () => {
    const key = th.dataset.col;
    sort = { key, dir: sort.key === key && sort.dir === "ascending" ? "descending" : "ascending" };
    renderTable();
  });
}
form.hidden = false;
form.addEventListener("focusin", liven);
form.addEventListener("submit", (e) => {
  e.preventDefault();
  delete results.dataset.state;
  checkAll();
});
form.addEventListener("reset", () => {
  run += 1;
  files = [];
  rows = [];
  showFiles();
  renderTable();
  results.hidden = true;
  delete results.dataset.state;
});
exportButton.addEventListener("click", exportCsv);
fileInput.addEventListener("change", () => { files = [...files, ...fileInput.files]; fileInput.value = ""; showFiles(); });
dropZone(drop, (dropped) => { files = [...files, ...dropped]; showFiles(); });
