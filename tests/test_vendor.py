"""The vendored browser libraries in theme/vendor/: pinned, hashed, licensed, and working in a real
headless Chromium under the strict CSP the verifier pages use (script-src 'self', no eval).

Its own test page, served from a temp folder over http.server on 127.0.0.1, loaded in the
suite's shared Debian chromium (the `browser` fixture of conftest.py)."""

from __future__ import annotations

import functools
import hashlib
import http.server
import json
import os
import re
import shutil
import subprocess
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
VENDOR = REPO / "theme" / "vendor"
VERSIONS = VENDOR / "versions.json"
from conftest import VECTORS  # noqa: E402

EDDSA = VECTORS / "vc-di-eddsa"
CONTEXTS = VECTORS / "contexts"
CSP = "default-src 'self'; script-src 'self'"
PERMISSIVE = {"MIT", "ISC", "BSD-2-Clause", "BSD-3-Clause", "Apache-2.0", "0BSD", "Unlicense"}
# Contexts the test documents use; served same-origin from the temp folder.
NEEDED_CONTEXTS = ["https://www.w3.org/ns/credentials/v2",
                   "https://www.w3.org/ns/credentials/examples/v2"]


def _versions() -> dict:
    return json.loads(VERSIONS.read_text(encoding="utf-8"))


def _sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# ------------------------------------------------------------------ files, hashes and licences

def test_versions_json_lists_the_expected_packages():
    data = _versions()
    assert {"jsonld", "@noble/ed25519", "canonicalize", "@scure/base", "uqr"} <= set(data)
    for name, e in data.items():
        assert re.fullmatch(r"\d+\.\d+\.\d+", e["version"]), (name, e["version"])  # stable only
        assert e["source"].startswith("package/"), name
        assert re.fullmatch(r"[0-9a-f]{64}", e["sha256"]), name
        assert e["integrity"].startswith("sha512-"), name


@pytest.mark.parametrize("name", list(_versions()))
def test_vendored_files_exist_and_match_sha256(name):
    e = _versions()[name]
    files = [(e["file"], e["sha256"])] + [(d["file"], d["sha256"]) for d in e.get("derived", [])]
    for rel, digest in files:
        path = VENDOR / rel
        assert path.is_file(), f"{rel} missing: run theme/vendor/refresh.sh"
        assert _sha256(path) == digest, f"{rel} differs from versions.json: edited by hand?"


@pytest.mark.parametrize("name", list(_versions()))
def test_every_package_has_a_permissive_non_empty_licence(name):
    e = _versions()[name]
    assert e["license"] in PERMISSIVE, (name, e["license"])
    lic = VENDOR / e["license_file"]
    assert lic.is_file() and lic.read_text(encoding="utf-8").strip(), lic
    for dep, b in e.get("bundled", {}).items():  # third-party code inside a bundle
        assert b["license"] in PERMISSIVE, (name, dep, b["license"])
        blic = VENDOR / b["license_file"]
        assert blic.is_file() and blic.read_text(encoding="utf-8").strip(), blic


def test_jsonld_esm_wrapper_contains_the_shipped_bundle_unchanged():
    shipped = (VENDOR / "jsonld.js").read_text(encoding="utf-8")
    body = re.sub(r"\n?//# sourceMappingURL=\S+\s*$", "", shipped)
    esm = (VENDOR / "jsonld.esm.js").read_text(encoding="utf-8")
    assert body in esm
    assert "const module = { exports: {} };" in esm
    assert esm.rstrip().endswith("export { jsonld };")


# Every eval-like construct in the vendored code, reviewed: none runs in a browser page.
# A refresh that adds another makes this test fail so a person looks at it.
KNOWN_DYNAMIC_CODE = {
    # core-js global-object detection and webpack's __webpack_require__.g: globalThis exists first
    'Function("return this"',
    'new Function("return this"',
    # setimmediate polyfill: only when setImmediate is called with a string (never by jsonld)
    'new Function(""+e',
    # core-js getBuiltInNodeModule: only when running under Node
    "Function('return require(\"'+e+'\")'",
}


@pytest.mark.parametrize("rel", ["jsonld.js", "jsonld.esm.js", "noble-ed25519.js",
                                 "canonicalize.js", "scure-base.js", "uqr.js"])
def test_no_unreviewed_eval_or_function_constructor(rel):
    text = (VENDOR / rel).read_text(encoding="utf-8")
    found = set(re.findall(r"""(?<![\w$.])(?:new )?(?:eval|Function)\((?:"[^"]*"|'[^']*'"""
                           r"""(?:\+e\+'[^']*')?)?(?:\+e)?""", text))
    assert found <= KNOWN_DYNAMIC_CODE, found - KNOWN_DYNAMIC_CODE


def test_refresh_script_is_valid_bash():
    script = VENDOR / "refresh.sh"
    assert os.access(script, os.X_OK)
    subprocess.run(["bash", "-n", str(script)], check=True)


# ------------------------------------------------------------------ the browser

PAGE = f"""<!doctype html>
<html><head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{CSP}">
<link rel="icon" href="favicon.ico">
<title>vendor test</title>
<script src="csp-watch.js"></script>
<script src="vendor/jsonld.js"></script>
<script type="module" src="test.js"></script>
</head><body><pre id="results"></pre></body></html>
"""

CSP_WATCH = """// classic script, runs first: records CSP violations and window messages
window.__violations = [];
window.__windowMessages = 0;
document.addEventListener('securitypolicyviolation', (e) => {
  window.__violations.push(e.violatedDirective + ' ' + e.blockedURI);
});
window.addEventListener('message', () => { window.__windowMessages++; });
window.__classicJsonld = typeof globalThis.jsonld;
// a module that fails to load or throws reports here, so the test does not wait for nothing
// (capture phase also sees a <script> or import that fails to load)
window.addEventListener('error', (e) => {
  const what = e.message || ('failed to load ' + (e.target && (e.target.src || e.target.href)));
  document.getElementById('results').textContent = JSON.stringify({ fatal: String(what) });
  document.documentElement.dataset.done = 'true';
}, true);
"""

TEST_JS = r"""
import jsonld from './vendor/jsonld.esm.js';
import * as ed from './vendor/noble-ed25519.js';
import canonicalize from './vendor/canonicalize.js';
import { base58, hex } from './vendor/scure-base.js';

const results = { steps: [], loaderUrls: [] };
const text = async (p) => (await fetch(p)).text();
const json = async (p) => (await fetch(p)).json();

// Offline document loader: allow-list from contexts/index.json, same-origin fetch only.
const index = await json('contexts/index.json');
const contextCache = new Map();
async function documentLoader(url) {
  results.loaderUrls.push(url);
  const file = index[url];
  if (!file) throw new Error('context not allowed offline: ' + url);
  if (!contextCache.has(url)) contextCache.set(url, await json('contexts/' + file));
  return { contextUrl: null, documentUrl: url, document: structuredClone(contextCache.get(url)) };
}
const canonOpts = { algorithm: 'URDNA2015', format: 'application/n-quads', safe: true,
                    documentLoader };

async function step(name, fn) {
  try { results[name] = await fn(); } catch (e) { results[name] = 'THREW ' + e; }
  results.steps.push(name);
}

const unsigned = await json('vectors/unsigned.json');

await step('jsonldEsmCanon', async () =>
  (await jsonld.canonize(unsigned, canonOpts)) === await text('vectors/canonDocDataInt.txt'));
await step('jsonldRdfc10Canon', async () =>
  (await jsonld.canonize(unsigned, { ...canonOpts, algorithm: 'RDFC-1.0' }))
    === await text('vectors/canonDocDataInt.txt'));
await step('jsonldClassicCanon', async () =>
  (await globalThis.jsonld.canonize(unsigned, canonOpts))
    === await text('vectors/canonDocDataInt.txt'));
await step('jsonldEsmNotGlobal', async () => globalThis.jsonld !== jsonld);

// safe mode: an undefined term must make canonize throw
const onlyV2 = { ...unsigned, '@context': ['https://www.w3.org/ns/credentials/v2'] };
const clean = { '@context': onlyV2['@context'], id: unsigned.id, type: ['VerifiableCredential'],
                issuer: unsigned.issuer, validFrom: unsigned.validFrom,
                credentialSubject: { id: unsigned.credentialSubject.id } };
async function throws(doc) {
  try { await jsonld.canonize(doc, canonOpts); return 'did not throw'; }
  catch (e) { return 'threw ' + (e.name || '') + ': ' + e.message; }
}
await step('safeUnsignedPlusFoo', () => throws({ ...onlyV2, foo: 'bar' }));
await step('safeCleanControl', async () => (await jsonld.canonize(clean, canonOpts)).length > 0);
await step('safeCleanPlusFoo', () => throws({ ...clean, foo: 'bar' }));
await step('unsafeCleanPlusFoo', async () =>
  (await jsonld.canonize({ ...clean, foo: 'bar' }, { ...canonOpts, safe: false }))
    === await jsonld.canonize(clean, canonOpts));

// Ed25519: noble and WebCrypto over the eddsa-rdfc-2022 vector
const keyPair = await json('vectors/keyPair.json');
const multikey = base58.decode(keyPair.publicKeyMultibase.slice(1));  // 'z' = base58btc
results.multikeyPrefix = hex.encode(multikey.subarray(0, 2));
const pub = multikey.subarray(2);
const msg = hex.decode((await text('vectors/combinedHashDataInt.txt')).trim());
const sig = hex.decode((await text('vectors/sigHexDataInt.txt')).trim());
const flip = (b, i) => { const c = b.slice(); c[i] ^= 1; return c; };
results.lengths = [pub.length, msg.length, sig.length];

await step('nobleVerify', () => ed.verifyAsync(sig, msg, pub));
await step('nobleVerifyStrict', () => ed.verifyAsync(sig, msg, pub, { zip215: false }));
await step('nobleFlippedMsg', () => ed.verifyAsync(sig, flip(msg, 0), pub));
await step('nobleFlippedSig', () => ed.verifyAsync(flip(sig, 5), msg, pub));
const key = await crypto.subtle.importKey('raw', pub, { name: 'Ed25519' }, false, ['verify'])
  .catch((e) => 'THREW ' + e);
await step('webcryptoVerify', () => crypto.subtle.verify({ name: 'Ed25519' }, key, sig, msg));
await step('webcryptoFlippedMsg', () =>
  crypto.subtle.verify({ name: 'Ed25519' }, key, sig, flip(msg, 0)));
await step('webcryptoFlippedSig', () =>
  crypto.subtle.verify({ name: 'Ed25519' }, key, flip(sig, 5), msg));

// JCS (RFC 8785)
await step('jcs', async () => canonicalize(unsigned) === await text('vectors/canonDocJCS.txt'));

// native gzip (no pako): round trip through CompressionStream / DecompressionStream
await step('nativeGzip', async () => {
  const data = new TextEncoder().encode('badgepress '.repeat(100));
  const gz = await new Response(new Blob([data]).stream()
    .pipeThrough(new CompressionStream('gzip'))).arrayBuffer();
  const back = await new Response(new Blob([gz]).stream()
    .pipeThrough(new DecompressionStream('gzip'))).arrayBuffer();
  return new TextDecoder().decode(back) === 'badgepress '.repeat(100);
});

results.classicJsonldBeforeLoad = window.__classicJsonld;
results.violations = window.__violations;
results.windowMessages = window.__windowMessages;
document.getElementById('results').textContent = JSON.stringify(results);
document.documentElement.dataset.done = 'true';
"""


class _Handler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".js": "text/javascript", ".json": "application/json",
                      ".jsonld": "application/ld+json", ".txt": "text/plain; charset=utf-8"}

    def log_message(self, *args):  # keep pytest output clean
        pass


@pytest.fixture(scope="module")
def vendor_site(tmp_path_factory) -> Path:
    """Temp folder: vendored JS, the test page, the vectors and the needed contexts."""
    root = tmp_path_factory.mktemp("vendor_site")
    shutil.copytree(VENDOR, root / "vendor",
                    ignore=shutil.ignore_patterns("LICENSES", "*.sh", "*.md", "*.json"))
    (root / "index.html").write_text(PAGE, encoding="utf-8")
    (root / "csp-watch.js").write_text(CSP_WATCH, encoding="utf-8")
    (root / "test.js").write_text(TEST_JS, encoding="utf-8")
    (root / "favicon.ico").write_bytes(b"")
    vec = root / "vectors"
    vec.mkdir()
    for src in [EDDSA / "unsigned.json", EDDSA / "keyPair.json",
                EDDSA / "eddsa-rdfc-2022" / "canonDocDataInt.txt",
                EDDSA / "eddsa-rdfc-2022" / "combinedHashDataInt.txt",
                EDDSA / "eddsa-rdfc-2022" / "sigHexDataInt.txt",
                EDDSA / "eddsa-jcs-2022" / "canonDocJCS.txt"]:
        shutil.copyfile(src, vec / src.name)
    full_index = json.loads((CONTEXTS / "index.json").read_text(encoding="utf-8"))
    ctx = root / "contexts"
    ctx.mkdir()
    index = {url: full_index[url] for url in NEEDED_CONTEXTS}
    for file in index.values():
        shutil.copyfile(CONTEXTS / file, ctx / file)
    (ctx / "index.json").write_text(json.dumps(index, indent=2), encoding="utf-8")
    return root


@pytest.fixture(scope="module")
def base_url(vendor_site: Path) -> Iterator[str]:
    handler = functools.partial(_Handler, directory=str(vendor_site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/"
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


@pytest.fixture(scope="module")
def page_run(base_url: str, browser) -> dict:
    """Load the test page once (in the suite's shared headless chromium, which skips or, in
    CI, fails when chromium is missing); returns results, console messages and URLs."""
    console, errors, requests = [], [], []
    page = browser.new_page()
    try:
        page.on("console", lambda m: console.append(f"{m.type}: {m.text}"))
        page.on("pageerror", lambda e: errors.append(str(e)))
        page.on("request", lambda r: requests.append(r.url))
        page.goto(base_url + "index.html")
        # wait_for_selector runs in Playwright's utility world: no eval under the page's CSP
        page.wait_for_selector("html[data-done='true']", state="attached", timeout=60_000)
        results = json.loads(page.text_content("#results") or "{}")
    finally:
        page.close()
    return {"results": results, "console": console, "errors": errors, "requests": requests}


def test_browser_page_ran_without_errors_or_csp_violations(page_run, base_url):
    r = page_run["results"]
    assert "fatal" not in r, r
    assert not page_run["errors"], page_run["errors"]
    assert r["violations"] == [], r["violations"]
    csp = [m for m in page_run["console"] if "Content Security Policy" in m or "unsafe-eval" in m]
    assert not csp, csp
    assert not [m for m in page_run["console"] if m.startswith("error")], page_run["console"]
    # nothing left the machine: every request went to the local server
    assert page_run["requests"] and all(u.startswith(base_url) for u in page_run["requests"])


def test_browser_jsonld_rdfc_canonicalization_matches_w3c_vector(page_run):
    r = page_run["results"]
    assert r["jsonldEsmCanon"] is True, r["jsonldEsmCanon"]  # import jsonld from jsonld.esm.js
    assert r["jsonldRdfc10Canon"] is True, r["jsonldRdfc10Canon"]  # algorithm: 'RDFC-1.0'
    assert r["classicJsonldBeforeLoad"] == "undefined"
    assert r["jsonldClassicCanon"] is True, r["jsonldClassicCanon"]  # <script src=jsonld.js>
    assert r["jsonldEsmNotGlobal"] is True
    assert set(r["loaderUrls"]) == set(NEEDED_CONTEXTS)


def test_browser_jsonld_safe_mode_rejects_undefined_terms(page_run):
    r = page_run["results"]
    assert r["safeUnsignedPlusFoo"].startswith("threw"), r["safeUnsignedPlusFoo"]
    assert r["safeCleanControl"] is True, r["safeCleanControl"]
    assert r["safeCleanPlusFoo"].startswith("threw"), r["safeCleanPlusFoo"]
    assert "safe mode" in r["safeCleanPlusFoo"].lower(), r["safeCleanPlusFoo"]
    assert r["unsafeCleanPlusFoo"] is True  # without safe mode "foo" is silently dropped


def test_browser_ed25519_noble_and_webcrypto(page_run):
    r = page_run["results"]
    assert r["multikeyPrefix"] == "ed01"
    assert r["lengths"] == [32, 64, 64]
    assert r["nobleVerify"] is True, r["nobleVerify"]
    assert r["nobleVerifyStrict"] is True, r["nobleVerifyStrict"]
    assert r["nobleFlippedMsg"] is False, r["nobleFlippedMsg"]
    assert r["nobleFlippedSig"] is False, r["nobleFlippedSig"]
    assert r["webcryptoVerify"] is True, r["webcryptoVerify"]
    assert r["webcryptoFlippedMsg"] is False, r["webcryptoFlippedMsg"]
    assert r["webcryptoFlippedSig"] is False, r["webcryptoFlippedSig"]


def test_browser_jcs_matches_w3c_vector(page_run):
    assert page_run["results"]["jcs"] is True, page_run["results"]["jcs"]


def test_browser_native_gzip_available(page_run):
    assert page_run["results"]["nativeGzip"] is True, page_run["results"]["nativeGzip"]
