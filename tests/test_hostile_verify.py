"""Hostile input through both verifiers: size and time bombs in every format (JSON, PNG, SVG,
canonicalization), ambiguous encodings, redirects and private addresses, broken text. Every
input must get a clear verdict, quickly, and the same one from `badgepress verify`'s code and
from the browser's (bake.js extraction, then core.verifyCredential on the served site).

Small inputs live in tests/hostile/verify/ with what both verifiers must say about them
(expected.json); large ones (bombs) and those that carry a signed credential are made here.
Nothing here touches the network: name resolution and connections are replaced by fakes
that fail the test when something would leave this machine.
"""

from __future__ import annotations

import base64
import copy
import json
import os
import socket
import struct
import threading
import time
import zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from badgepress.build.pipeline import build
from badgepress.cli import main
from badgepress.commands.issue import IssueRequest
from badgepress.core.errors import BuildError
from badgepress.trust import resolve
from badgepress.trust.bake import PNG_SIGNATURE, BakeError, _chunk, bake_png, bake_svg
from badgepress.trust.bake import credential_text as python_text
from badgepress.trust.keys import SigningKey
from badgepress.trust.proof import sign
from badgepress.trust.resolve import FetchError, HttpResolver, LocalResolver, fetch_bytes
from badgepress.trust.verify import verify_credential
from click.testing import CliRunner
from conftest import TESTS, copy_site, issue
from corpus import NOW, Corpus, local_as_published, make_corpus, summary

HOSTILE = TESTS / "hostile" / "verify"
EXPECTED = {k: v for k, v in json.loads((HOSTILE / "expected.json").read_text()).items()
            if not k.startswith("_")}
WALL = 10.0  # seconds per input: generous; the point is that nothing hangs
OB_NS = "https://purl.imsglobal.org/ob/v3p0"


@pytest.fixture(scope="module")
def world(tmp_path_factory) -> Corpus:
    tmp = tmp_path_factory.mktemp("hostile")
    return make_corpus(copy_site("basic", tmp / "site"), tmp)


def valid_text(world: Corpus) -> str:
    return next(c.text for c in world.cases if c.name == "valid")


# the two verifiers ------------------------------------------------------------------------

def python_outcome(world: Corpus, data: bytes) -> tuple:
    """('read', why) when no credential text comes out of the file, else ('verified',
    verdict, [(check, status, code)])."""
    start = time.monotonic()
    try:
        text = python_text(data)
    except BakeError as exc:
        out: tuple = ("read", str(exc))
    else:
        result = verify_credential(text, LocalResolver(world.documents), NOW).to_json()
        out = ("verified", result["verdict"], summary(result))
    assert time.monotonic() - start < WALL
    return out


class Page:
    """The served corpus site in chromium, with the verifier's modules imported; any
    request that would leave the local server is refused and recorded."""

    def __init__(self, browser, serve_dir, world: Corpus):
        self.url = serve_dir(world.out_dir)
        assets = next(p for p in (world.out_dir / "assets").rglob("core.js")).parent
        self.modules = self.url + assets.relative_to(world.out_dir).as_posix() + "/"
        self.context = browser.new_context()
        self.page = self.context.new_page()
        self.outside: list[str] = []

        def route(r):
            if r.request.url.startswith(self.url):
                r.continue_()
            else:
                self.outside.append(r.request.url)
                r.abort()

        self.page.route("**/*", route)
        self.page.goto(self.url + "verify/")

    def outcomes(self, inputs: dict[str, bytes]) -> dict[str, tuple]:
        encoded = {k: base64.b64encode(v).decode() for k, v in inputs.items()}
        raw = self.page.evaluate("""async ([modules, base, root, now, inputs]) => {
            const core = await import(modules + "core.js");
            const bake = await import(modules + "bake.js");
            const out = {};
            for (const [name, b64] of Object.entries(inputs)) {
                const bytes = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
                const start = performance.now();
                let text;
                try { text = await bake.credentialTextOf(bytes); } catch (e) {
                    out[name] = { read: e.message, ms: performance.now() - start };
                    continue;
                }
                const resolver = core.makeResolver({ siteBase: base, siteRoot: root });
                const r = await core.verifyCredential(text, { resolver, now: new Date(now) });
                out[name] = { verdict: r.verdict, ms: performance.now() - start,
                              checks: r.checks.map(({ check, status, code, message }) =>
                                                   ({ check, status, code, message })) };
            }
            return out;
        }""", [self.modules, "https://badges.test.example/", self.url, NOW.isoformat(),
               encoded])
        out = {}
        for name, r in raw.items():
            assert r["ms"] < WALL * 1000, name
            if "read" in r:
                out[name] = ("read", r["read"])
            else:
                r = local_as_published(r)
                out[name] = ("verified", r["verdict"], summary(r))
        return out

    def evaluate(self, script: str, arg=None):
        return self.page.evaluate(script, arg)


@pytest.fixture
def page(browser, serve_dir, world):
    p = Page(browser, serve_dir, world)
    yield p
    p.context.close()
    assert p.outside == []  # nothing hostile input names was ever requested


def meets(outcome: tuple, expected: tuple) -> bool:
    """expected: ('read', why) | ('format', code) | ('verdict', verdict)."""
    kind, value = expected
    if kind == "read":
        return outcome == ("read", value)
    if outcome[0] != "verified":
        return False
    if kind == "verdict":
        return outcome[1] == value
    return outcome[2][0][2] == value and outcome[2][0][1] == "fail"


def run_both(world: Corpus, page: Page, inputs: dict[str, tuple[bytes, tuple]]) -> None:
    """Every input: the expected outcome in Python and in the browser, and the same one."""
    in_browser = page.outcomes({name: data for name, (data, _) in inputs.items()})
    wrong = {}
    for name, (data, expected) in inputs.items():
        py = python_outcome(world, data)
        if py != in_browser[name] or not meets(py, expected):
            wrong[name] = {"python": py, "browser": in_browser[name], "expected": expected}
    assert wrong == {}


# inputs made here ---------------------------------------------------------------------------

def png(*chunks: bytes) -> bytes:
    """A 1x1 PNG with ``chunks`` before IEND."""
    ihdr = _chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 0, 0, 0, 0))
    idat = _chunk(b"IDAT", zlib.compress(b"\0\0"))
    return PNG_SIGNATURE + ihdr + idat + b"".join(chunks) + _chunk(b"IEND", b"")


def itxt(text: bytes, flag: int = 0, method: int = 0, head: bytes | None = None) -> bytes:
    data = head if head is not None else (b"openbadgecredential\0" + bytes([flag, method])
                                          + b"\0\0" + text)
    return _chunk(b"iTXt", data)


def zlib_of_zeros(size: int) -> bytes:
    """The zlib stream of ``size`` zero bytes, made a megabyte at a time."""
    packer = zlib.compressobj(9)
    block = b"\0" * 1_000_000
    out = [packer.compress(block) for _ in range(size // len(block))]
    out.append(packer.compress(b"\0" * (size % len(block))))
    return b"".join(out) + packer.flush()


def svg(*inner: str, head: str = "") -> bytes:
    return (head + f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="{OB_NS}">'
            + "".join(inner) + "</svg>").encode()


def cred_element(text: str) -> str:
    return f"<openbadges:credential><![CDATA[{text}]]></openbadges:credential>"


def clique(n: int) -> list[dict]:
    return [{"id": f"_:n{i}", "type": ["Profile"],
             "parentOrg": [{"id": f"_:n{j}"} for j in range(n) if j != i]} for i in range(n)]


READ_LIMIT = "the file is larger than 10 MB"
BOMB = "the compressed data expands to more than 1 MB"
CORRUPT = "the compressed data is corrupt or truncated"
TRUNCATED_ITXT = "the iTXt 'openbadgecredential' chunk is truncated"
TWO_PNG = ("this PNG carries more than one Open Badges credential (iTXt "
           "'openbadgecredential' chunks); Open Badges allows one")
NO_PNG = "this PNG carries no Open Badges credential (no iTXt 'openbadgecredential' chunk)"
TWO_SVG = ("this SVG carries more than one Open Badges credential (<openbadges:credential> "
           "elements); Open Badges allows one")
DTD = "the SVG declares a DTD, which a baked badge never needs"


def png_inputs(cred: bytes) -> dict[str, tuple[bytes, tuple]]:
    baked = bake_png(png(), cred)
    return {
        "png-baked": (baked, ("verdict", "valid")),
        "png-compressed-credential": (png(itxt(zlib.compress(cred), flag=1)),
                                      ("verdict", "valid")),
        # ~1 MB on disk, 1 GB once decompressed
        "png-bomb-1gb": (png(itxt(zlib_of_zeros(1_000_000_000), flag=1)), ("read", BOMB)),
        "png-bomb-just-over": (png(itxt(zlib_of_zeros(1_000_001), flag=1)), ("read", BOMB)),
        "png-bad-zlib": (png(itxt(b"not zlib at all", flag=1)), ("read", CORRUPT)),
        "png-truncated-zlib": (png(itxt(zlib.compress(cred)[:-9], flag=1)), ("read", CORRUPT)),
        "png-zlib-then-junk": (png(itxt(zlib.compress(cred) + b"junk", flag=1)),
                               ("read", CORRUPT)),
        "png-keyword-only": (png(itxt(b"", head=b"openbadgecredential")),
                             ("read", TRUNCATED_ITXT)),
        "png-keyword-and-nul": (png(itxt(b"", head=b"openbadgecredential\0")),
                                ("read", TRUNCATED_ITXT)),
        "png-no-language-end": (png(itxt(b"", head=b"openbadgecredential\0\0\0en")),
                                ("read", TRUNCATED_ITXT)),
        "png-unknown-compression": (png(itxt(cred, flag=1, method=8)), ("read", (
            "the iTXt 'openbadgecredential' chunk uses an unknown compression"))),
        "png-two-chunks": (png(itxt(cred), itxt(cred)), ("read", TWO_PNG)),
        "png-second-chunk-compressed": (png(itxt(cred), itxt(zlib.compress(b"{}"), flag=1)),
                                        ("read", TWO_PNG)),
        "png-credential-after-iend": (png() + itxt(cred), ("read", NO_PNG)),
        "png-chunk-longer-than-file": (PNG_SIGNATURE + b"\xff\xff\xff\xf0iTXt" + b"\0" * 8,
                                       ("read", "truncated PNG chunk")),
        "png-no-iend": (png(itxt(cred))[:-12], ("read", "PNG has no IEND chunk")),
        "png-text-not-utf8": (png(itxt(b'{"a": "\xff"}')), (
            "read", "the file is not UTF-8 text (invalid byte at position 7)")),
    }


def svg_inputs(cred: str) -> dict[str, tuple[bytes, tuple]]:
    entity = "<!ENTITY x '" + "x" * 20_000 + "'>"
    quadratic = svg("<openbadges:credential>" + "&x;" * 46_000 + "</openbadges:credential>",
                    head=f"<!DOCTYPE svg [{entity}]>")
    assert 150_000 < len(quadratic) < 170_000  # 160 KB that expand to 920 MB
    return {
        "svg-baked": (bake_svg(svg(), cred.encode()), ("verdict", "valid")),
        "svg-cdata-end-in-credential": (bake_svg(svg(), cred.replace(
            '"Chaired', '"]]> Chaired', 1).encode()), ("verdict", "invalid")),
        "svg-quadratic-entity": (quadratic, ("read", DTD)),
        "svg-nested-in-g": (svg("<g><g>", cred_element(cred), "</g></g>"),
                            ("verdict", "valid")),
        "svg-two-credentials": (svg(cred_element(cred), cred_element(cred)), ("read", TWO_SVG)),
        "svg-root-and-nested": (svg(cred_element(cred), "<g>", cred_element("{}"), "</g>"),
                                ("read", TWO_SVG)),
        "svg-escaped-not-cdata": (svg("<openbadges:credential>" + cred.replace("&", "&amp;")
                                      .replace("<", "&lt;") + "</openbadges:credential>"),
                                  ("verdict", "valid")),
        "svg-300-deep": (svg("<g>" * 300, cred_element(cred), "</g>" * 300), (
            "read", "the SVG nests elements more than 256 deep")),
        "svg-10000-deep": (svg("<g>" * 10_000, cred_element(cred), "</g>" * 10_000), (
            "read", "the SVG nests elements more than 256 deep")),
        "svg-200-deep": (svg("<g>" * 200, cred_element(cred), "</g>" * 200),
                         ("verdict", "valid")),
        "svg-after-blank-and-bom": ("\ufeff \n".encode() + svg(cred_element(cred)),
                                    ("verdict", "valid")),
    }


def json_inputs(cred: str) -> dict[str, tuple[bytes, tuple]]:
    doc = json.loads(cred)
    doc["credentialSubject"]["achievement"]["description"] = "<svg> " * 50
    svg_head = json.dumps(doc)  # '<svg' in its first 2 KB: still JSON (and now unsigned)
    clique_docs = {}
    for n in (6, 10, 16):
        bomb = json.loads(cred)
        bomb["issuer"]["parentOrg"] = clique(n)
        clique_docs[f"canonicalization-clique-{n}"] = (json.dumps(bomb).encode(),
                                                       ("format", "format.too_complex"))
    in_subject = json.loads(cred)
    in_subject["credentialSubject"]["source"] = clique(6)
    many = json.loads(cred)
    many["evidence"] = [{"type": ["Evidence"], "narrative": "alike"}] * 300  # allowed
    return {
        **clique_docs,
        "canonicalization-clique-in-subject": (json.dumps(in_subject).encode(),
                                               ("format", "format.too_complex")),
        "canonicalization-300-alike-no-cycle": (json.dumps(many).encode(),
                                                ("verdict", "invalid")),
        "json-svg-in-first-2kb": (svg_head.encode(), ("verdict", "invalid")),
        "json-bom": (b"\xef\xbb\xbf" + cred.encode(), ("verdict", "valid")),
        "json-leading-blank": (b" \r\n\t" + cred.encode(), ("verdict", "valid")),
        "json-5mb": (json.dumps(doc | {"pad": "x" * 5_000_000}).encode(),
                     ("format", "format.too_large")),
        "json-1mb-of-arrays": (b"[" + b"[]," * 330_000 + b"[]]", ("format", "format.shape")),
        "json-deep-100k": (b"[" * 100_000 + b"]" * 100_000, ("format", "format.too_deep")),
        "json-deep-objects": (b'{"a":' * 50_000 + b"1" + b"}" * 50_000,
                              ("format", "format.too_deep")),
        "json-deep-in-strings-is-fine": (json.dumps(doc | {"x": "[" * 5000}).encode(),
                                         ("format", "format.undefined")),
        "json-duplicate-issuer": (('{"issuer": "https://evil.example/", ' + cred[1:]).encode(),
                                  ("format", "format.duplicate_key")),
        "json-utf16-credential": (cred.encode("utf-16"), (
            "read", "the file is UTF-16 or UTF-32 text; a credential must be UTF-8")),
        "json-utf8-then-latin1": (cred.replace("Ada", "Ad\u00e9").encode("latin-1"), (
            "read", "the file is not UTF-8 text (invalid byte at position "
            f"{cred.index('Ada') + 2})")),
    }


def test_hostile_files_get_the_same_clear_verdict_from_both(world, page) -> None:
    inputs = {}
    for name, expected in EXPECTED.items():
        kind, value = next(iter(expected.items()))
        inputs[name] = ((HOSTILE / name).read_bytes(), (kind, value))
    assert len(inputs) >= 20
    run_both(world, page, inputs)


def test_png_bombs_and_ambiguities(world, page) -> None:
    inputs = png_inputs(valid_text(world).encode())
    assert len(inputs["png-bomb-1gb"][0]) < 1_100_000
    run_both(world, page, inputs)


def test_svg_entities_depth_and_ambiguities(world, page) -> None:
    run_both(world, page, svg_inputs(valid_text(world)))


def test_json_and_canonicalization_bombs_and_encodings(world, page) -> None:
    run_both(world, page, json_inputs(valid_text(world)))


ODD_VALUES = (None, {}, 5, "x", [None], "did:key:zzz", "0001-01-01T00:00:00Z")


def _paths(node, path=()):
    if isinstance(node, dict):
        items = node.items()
    elif isinstance(node, list):
        items = enumerate(node)
    else:
        return
    for key, value in items:
        yield (*path, key)
        yield from _paths(value, (*path, key))


def test_odd_values_anywhere_get_the_same_verdict_from_both(world, page) -> None:
    """Every value of a valid credential replaced by null, {}, a number, a relative IRI, …:
    no crash, and the same status, code and message for every check in both verifiers
    (this found relative IRIs in @id-typed properties and a scalar 'proof' read two ways)."""
    base = json.loads(next(c.text for c in world.cases if c.name == "not-revoked"))
    texts = {}
    for path in _paths(base):
        for value in ODD_VALUES:
            doc = copy.deepcopy(base)
            node = doc
            for key in path[:-1]:
                node = node[key]
            node[path[-1]] = value
            texts["/".join(map(str, path)) + "=" + json.dumps(value)] = json.dumps(doc)
    assert len(texts) > 500
    in_python = {n: verify_credential(t, LocalResolver(world.documents), NOW).to_json()
                 for n, t in texts.items()}
    in_browser = page.evaluate("""async ([modules, base, root, now, texts]) => {
        const core = await import(modules + "core.js");
        const out = {};
        for (const [name, text] of Object.entries(texts)) {
            const resolver = core.makeResolver({ siteBase: base, siteRoot: root });
            const r = await core.verifyCredential(text, { resolver, now: new Date(now) });
            out[name] = { verdict: r.verdict, checks: r.checks.map(
                ({ check, status, code, message }) => ({ check, status, code, message })) };
        }
        return out;
    }""", [page.modules, "https://badges.test.example/", page.url, NOW.isoformat(), texts])
    differ = {}
    for name, py in in_python.items():
        js = local_as_published(in_browser[name])
        words = [(a["message"], b["message"]) for a, b in zip(py["checks"], js["checks"],
                                                              strict=True)
                 if not b.get("local") and a["message"] != b["message"]
                 and a["code"] not in LIBRARY_WORDS]
        if summary(py) != summary(js) or words:
            differ[name] = (summary(py), summary(js), words)
    assert differ == {}


# codes whose message embeds a library's own words (pyld, jsonld.js, a network stack)
LIBRARY_WORDS = ("format.json", "format.undefined", "issuer.fetch", "revocation.fetch",
                 "signature.proof", "revocation.list_invalid", "dates.missing",
                 "issuer.bad_document", "format.context")


def test_file_size_is_checked_before_reading(world, page, tmp_path: Path) -> None:
    """A 50 MB file is refused before it is read: the CLI reads no more than the limit,
    the page asks the file its size first."""
    big = tmp_path / "big.json"
    with big.open("wb") as f:
        f.truncate(50_000_000)
    with pytest.raises(BakeError, match=READ_LIMIT):
        python_text(b"{" + b" " * 10_000_000 + b"}")
    said = page.evaluate("""async (modules) => {
        const bake = await import(modules + "bake.js");
        const file = { size: 50000000, arrayBuffer: () => { throw new Error("read!"); } };
        try { await bake.credentialText(file); return "accepted"; } catch (e) { return e.message; }
    }""", page.modules)
    assert said == READ_LIMIT
    res = CliRunner().invoke(main, ["verify", str(big), "--offline"])
    assert res.exit_code == 2 and READ_LIMIT in res.output


@pytest.mark.parametrize("name, message", [("quadratic-entity.svg", DTD),
                                           ("huge.json", READ_LIMIT)])
def test_the_verify_page_answers_hostile_files_at_once(browser, serve_dir, world, tmp_path,
                                                       name, message) -> None:
    """What froze /verify/ for 26 s (entities) or took 24 s (50 MB of JSON): a verdict
    at once, the page still responsive."""
    path = tmp_path / name
    if name.endswith(".svg"):
        path.write_bytes(svg_inputs(valid_text(world))["svg-quadratic-entity"][0])
    else:
        with path.open("wb") as f:
            f.truncate(50_000_000)
    context = browser.new_context()
    page = context.new_page()
    page.goto(serve_dir(world.out_dir) + "verify/")
    start = time.monotonic()
    page.set_input_files("#credential-file", str(path))
    page.wait_for_selector("#verification[data-verdict=invalid]", timeout=WALL * 1000)
    assert time.monotonic() - start < WALL
    assert message in page.text_content("#verification")
    assert page.evaluate("1 + 1") == 2
    context.close()


class Recording(LocalResolver):
    def __init__(self, documents):
        super().__init__(documents)
        self.asked: list[str] = []

    def fetch(self, url: str):
        self.asked.append(url)
        return super().fetch(url)


def test_what_a_forged_credential_names_is_never_fetched(world, page) -> None:
    """Its signature fails, so its status list is not asked for, by either verifier (it
    used to be fetched, and read as 'revoked' or 'not revoked')."""
    forged = next(c for c in world.cases if c.name == "forged-status-not-fetched")
    status_url = json.loads(forged.text)["credentialStatus"]["statusListCredential"]
    resolver = Recording(world.documents)
    assert verify_credential(forged.text, resolver, NOW).check("revocation").code == \
        "revocation.unsigned"
    assert resolver.asked and status_url not in resolver.asked
    asked = page.evaluate("""async ([modules, text, base, root, now]) => {
        const core = await import(modules + "core.js");
        const asked = [];
        const resolver = core.makeResolver({ siteBase: base, siteRoot: root,
            fetchImpl: (u, o) => { asked.push(u); return fetch(u, o); } });
        const r = await core.verifyCredential(text, { resolver, now: new Date(now) });
        return [asked, r.checks[4].code];
    }""", [page.modules, forged.text, "https://badges.test.example/", page.url,
           NOW.isoformat()])
    assert asked[1] == "revocation.unsigned"
    assert asked[0] and not any(u.endswith("status/1.json") for u in asked[0])


# fetching: https on public addresses only ----------------------------------------------------

class NoNetwork:
    """Fake name resolution and connections: a name resolves as ``names`` says; connecting
    anywhere but to this machine's test servers fails the test."""

    def __init__(self, monkeypatch):
        self.names: dict[str, list[str]] = {}
        self.lookups: list[str] = []
        self.connects: list[tuple] = []
        self.allowed_ports: set[int] = set()
        real_connect = socket.create_connection
        real_getaddrinfo = socket.getaddrinfo

        def getaddrinfo(host, port, *args, **kwargs):
            if host in ("127.0.0.1", "::1"):  # the real connection to a test server
                return real_getaddrinfo(host, port, *args, **kwargs)
            self.lookups.append(host)
            if host not in self.names:
                raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")
            return [(socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6,
                     "", (a, port)) for a in self.names[host]]

        def create_connection(address, *args, **kwargs):
            self.connects.append(address)
            if address[0] in ("127.0.0.1", "::1") and address[1] in self.allowed_ports:
                return real_connect(address, *args, **kwargs)
            raise ConnectionRefusedError("the test refuses every outbound connection")

        monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
        monkeypatch.setattr(socket, "create_connection", create_connection)


@pytest.fixture
def no_network(monkeypatch) -> NoNetwork:
    return NoNetwork(monkeypatch)


REFUSED = [  # (url, why) for URLs refused without a lookup or a connection, in both verifiers
    ("http://example.org/issuer.json", resolve.NOT_HTTPS),
    ("ftp://example.org/issuer.json", resolve.NOT_HTTPS),
    ("https://localhost/issuer.json", resolve.LOCALHOST),
    ("https://localhost./issuer.json", resolve.LOCALHOST),
    ("https://LOCALHOST:8443/issuer.json", resolve.LOCALHOST),
    ("https://badges.localhost/issuer.json", resolve.LOCALHOST),
    ("https://127.0.0.1/issuer.json", resolve.PRIVATE),
    ("https://127.1/issuer.json", resolve.PRIVATE),
    ("https://2130706433/issuer.json", resolve.PRIVATE),
    ("https://0x7f000001/issuer.json", resolve.PRIVATE),
    ("https://0x7f.1/issuer.json", resolve.PRIVATE),
    ("https://0177.0.0.1/issuer.json", resolve.PRIVATE),
    ("https://[::1]/issuer.json", resolve.PRIVATE),
    ("https://[::]/issuer.json", resolve.PRIVATE),
    ("https://0.0.0.0/issuer.json", resolve.PRIVATE),
    ("https://10.0.0.1/issuer.json", resolve.PRIVATE),
    ("https://10.255.255.255/issuer.json", resolve.PRIVATE),
    ("https://172.16.0.1/issuer.json", resolve.PRIVATE),
    ("https://172.31.255.254/issuer.json", resolve.PRIVATE),
    ("https://192.168.1.1/issuer.json", resolve.PRIVATE),
    ("https://169.254.169.254/latest/meta-data/", resolve.PRIVATE),
    ("https://100.64.0.1/issuer.json", resolve.PRIVATE),
    ("https://224.0.0.1/issuer.json", resolve.PRIVATE),
    ("https://255.255.255.255/issuer.json", resolve.PRIVATE),
    ("https://[::ffff:127.0.0.1]/issuer.json", resolve.PRIVATE),
    ("https://[::ffff:a9fe:a9fe]/issuer.json", resolve.PRIVATE),
    ("https://[64:ff9b::a00:1]/issuer.json", resolve.PRIVATE),
    ("https://[2002:c0a8:101::1]/issuer.json", resolve.PRIVATE),
    ("https://[fd00::1]/issuer.json", resolve.PRIVATE),
    ("https://[fe80::1]/issuer.json", resolve.PRIVATE),
    ("https://[ff02::1]/issuer.json", resolve.PRIVATE),
    ("https://999.0.0.1/issuer.json", resolve.NOT_A_URL),
]


@pytest.mark.parametrize("url, why", REFUSED)
def test_fetch_refuses_without_a_lookup_or_a_connection(no_network, url, why) -> None:
    with pytest.raises(FetchError) as info:
        fetch_bytes(url, local=False)
    assert str(info.value) == why
    assert no_network.lookups == [] and no_network.connects == []


def test_the_browser_refuses_the_same_urls_for_the_same_reasons(page) -> None:
    said = page.evaluate("""async ([modules, urls]) => {
        const core = await import(modules + "core.js");
        return urls.map((u) => core.fetchProblem(u));
    }""", [page.modules, [u for u, _ in REFUSED]])
    assert dict(zip([u for u, _ in REFUSED], said, strict=True)) == dict(REFUSED)
    assert page.evaluate("""async (modules) => (await import(modules + "core.js"))
        .fetchProblem("https://badges.example.org/issuer.json")""", page.modules) == ""


@pytest.mark.parametrize("addresses", [
    ["10.0.0.5"], ["192.168.0.10"], ["169.254.169.254"], ["127.0.0.1"], ["::1"],
    ["::ffff:127.0.0.1"], ["fd12:3456::1"], ["93.184.216.34", "127.0.0.1"],  # one bad is enough
])
def test_a_name_that_resolves_to_a_private_address_is_not_connected_to(
        no_network, addresses) -> None:
    no_network.names["issuer.example.org"] = addresses
    with pytest.raises(FetchError, match="private, local or reserved"):
        fetch_bytes("https://issuer.example.org/issuer.json", local=False)
    assert no_network.connects == []


def test_the_checked_address_is_the_one_connected_to(no_network) -> None:
    """Resolved once: a second answer (DNS rebinding to 127.0.0.1) is never asked for."""
    no_network.names["issuer.example.org"] = ["93.184.216.34"]
    with pytest.raises(FetchError, match="network error"):
        fetch_bytes("https://issuer.example.org/issuer.json", local=False)
    assert no_network.lookups == ["issuer.example.org"]
    assert no_network.connects == [("93.184.216.34", 443)]


class Redirector(BaseHTTPRequestHandler):
    """/to?<url> redirects there; /ok answers; every request is counted."""

    seen: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server's name
        Redirector.seen.append(self.path)
        if self.path.startswith("/to?"):
            self.send_response(302)
            self.send_header("Location", self.path[4:])
            self.end_headers()
            return
        body = b'{"ok": true}' if self.path == "/ok" else b"x" * 100_000
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def redirector(no_network):
    server = ThreadingHTTPServer(("127.0.0.1", 0), Redirector)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    no_network.allowed_ports.add(server.server_address[1])
    Redirector.seen = []
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_a_local_url_is_fetched_only_when_the_user_gave_one(redirector) -> None:
    """`audit http://127.0.0.1:…` (local) reads it; a URL that a credential names never
    reaches this machine, not even once."""
    assert fetch_bytes(redirector + "/ok") == b'{"ok": true}'
    with pytest.raises(FetchError, match="only https"):
        fetch_bytes(redirector + "/ok", local=False)
    assert Redirector.seen == ["/ok"]


@pytest.mark.parametrize("target, why", [
    ("http://169.254.169.254/latest/meta-data/", resolve.NOT_HTTPS),
    ("http://example.org/", resolve.NOT_HTTPS),
    ("https://169.254.169.254/latest/meta-data/", resolve.PRIVATE),
    ("https://10.0.0.1/", resolve.PRIVATE),
    ("https://2130706433/", resolve.PRIVATE),
    ("https://[::ffff:10.0.0.1]/", resolve.PRIVATE),
    ("https://localhost./", resolve.LOCALHOST),
    ("file:///etc/passwd", resolve.NOT_HTTPS),
])
def test_every_redirect_hop_is_checked_before_it_is_followed(
        redirector, no_network, target, why) -> None:
    with pytest.raises(FetchError) as info:
        fetch_bytes(f"{redirector}/to?{target}")
    assert str(info.value) == why
    assert len(Redirector.seen) == 1  # the redirect was read, its target never asked for
    assert [c for c in no_network.connects if c[0] != "127.0.0.1"] == []


def test_redirect_chains_and_sizes_are_bounded(redirector) -> None:
    hop = f"{redirector}/ok"
    for _ in range(resolve.MAX_REDIRECTS + 1):
        hop = f"{redirector}/to?{hop}"
    with pytest.raises(FetchError, match="HTTP 302"):
        fetch_bytes(hop)
    with pytest.raises(FetchError, match="too large"):
        fetch_bytes(f"{redirector}/big", max_bytes=50_000)


def signed_by(issuer: str) -> str:
    key = SigningKey.generate()
    doc = {"@context": ["https://www.w3.org/ns/credentials/v2"],
           "id": "urn:uuid:7f1e0c0e-8a43-4b6f-9a55-0d3b1c2e4f51", "type": ["VerifiableCredential"],
           "issuer": issuer, "validFrom": "2026-01-01T00:00:00Z",
           "credentialSubject": {"id": "did:example:someone"}}
    base = issuer.split("#")[0]
    return json.dumps(sign(doc, key, f"{base}#{key.public_multibase}", "2026-01-02T00:00:00Z"))


ISSUERS = [  # issuer ids of credentials: (id, issuer check code, the reason when refused)
    ("did:web:localhost", "issuer.fetch", resolve.LOCALHOST),
    ("did:web:localhost%3A8443", "issuer.fetch", resolve.LOCALHOST),
    ("did:web:localhost.:badges", "issuer.fetch", resolve.LOCALHOST),
    ("did:web:127.0.0.1", "issuer.fetch", resolve.PRIVATE),
    ("did:web:2130706433", "issuer.fetch", resolve.PRIVATE),
    ("did:web:0x7f.1", "issuer.fetch", resolve.PRIVATE),
    ("did:web:169.254.169.254:latest:meta-data", "issuer.fetch", resolve.PRIVATE),
    ("did:web:10.0.0.1%3A8443", "issuer.fetch", resolve.PRIVATE),
    ("did:web:%5B%3A%3A1%5D", "issuer.bad_document", ""),  # no IP literal in a did:web
    ("did:web:evil.example%40127.0.0.1", "issuer.bad_document", ""),
    ("did:web:example.org%2F..%2Fadmin", "issuer.bad_document", ""),
    ("did:web:example.org:..:admin", "issuer.bad_document", ""),
    ("https://169.254.169.254/issuer.json", "issuer.fetch", resolve.PRIVATE),
    ("https://[::ffff:192.168.0.1]/issuer.json", "issuer.fetch", resolve.PRIVATE),
    ("https://172.20.0.1/issuer.json", "issuer.fetch", resolve.PRIVATE),
    ("http://badges.example.org/issuer.json", "issuer.fetch", resolve.NOT_HTTPS),
]


def test_issuer_ids_that_name_this_machine_are_never_fetched_by_either(
        no_network, page) -> None:
    texts = {issuer: signed_by(issuer) for issuer, _, _ in ISSUERS}
    in_python = {i: verify_credential(t, HttpResolver(timeout=2), NOW).to_json()
                 for i, t in texts.items()}
    assert no_network.lookups == [] and no_network.connects == []
    in_browser = page.evaluate("""async ([modules, texts, now]) => {
        const core = await import(modules + "core.js");
        const out = {};
        for (const [issuer, text] of Object.entries(texts)) {
            const r = await core.verifyCredential(text, { resolver: core.makeResolver(),
                                                         now: new Date(now) });
            out[issuer] = { verdict: r.verdict, checks: r.checks.map(
                ({ check, status, code, message }) => ({ check, status, code, message })) };
        }
        return out;
    }""", [page.modules, texts, NOW.isoformat()])
    for issuer, code, why in ISSUERS:
        py, js = in_python[issuer], in_browser[issuer]
        assert summary(py) == summary(js), issuer
        check = py["checks"][1]
        assert check["code"] == code, (issuer, check)
        assert check["message"] == js["checks"][1]["message"], issuer
        assert why in check["message"]
        assert py["checks"][2]["status"] == "pass"  # the signature, by the key it names


# `badgepress verify`: one verdict per source, exit codes that say what happened ------------

def test_verify_cli_reports_every_source_and_exits_by_the_worst(world, tmp_path) -> None:
    valid = tmp_path / "valid.json"
    valid.write_text(valid_text(world))
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000)
    bad_png = tmp_path / "bad.png"
    bad_png.write_bytes(png(itxt(b"", head=b"openbadgecredential")))
    fifo = tmp_path / "pipe.json"
    os.mkfifo(fifo)
    sparse = tmp_path / "sparse.json"
    with sparse.open("wb") as f:
        f.truncate(11_000_000)
    def run(args: list[str]):
        return CliRunner().invoke(main, ["-C", str(tmp_path), *args])

    offline = ["--offline", "--now", NOW.isoformat()]
    res = run(["verify", str(deep), str(bad_png), str(valid), *offline, "--json"])
    assert res.exit_code == 1, res.output  # the valid one is still verified
    verdicts = [(r["source"], r["verdict"], r["checks"][0]["code"]) for r in json.loads(
        res.output)]
    assert verdicts == [(str(deep), "invalid", "format.too_deep"),
                        (str(bad_png), "invalid", "format.read"),
                        (str(valid), "unknown", "format.ok")]  # offline: issuer unknown
    for unreadable, why in ((tmp_path / "missing.json", "No such file or directory"),
                            (tmp_path, "it is a directory"),
                            (Path("/dev/zero"), "not a regular file"),
                            (fifo, "not a regular file"),
                            (sparse, READ_LIMIT)):
        start = time.monotonic()
        res = run(["verify", str(unreadable), str(valid), *offline])
        assert time.monotonic() - start < WALL
        assert res.exit_code == 2, (unreadable, res.output)
        assert why in res.output and f"{valid}: UNKNOWN" in res.output
    for url, why in (("http://example.org/c.json", "only https URLs are fetched"),
                     ("https://127.0.0.1/credentials/x/", resolve.PRIVATE)):
        res = run(["verify", url, *offline])
        assert res.exit_code == 2 and why in res.output


# the build reads its own credential files as the verifiers do -------------------------------

def with_clique(text: str) -> str:
    doc = json.loads(text)
    doc["issuer"]["parentOrg"] = clique(8)
    return json.dumps(doc)


@pytest.mark.parametrize("edit, says", [
    (with_clique, "format check failed: The credential's linked data is too complex to "
     "check (more than 8 deep iterations over its blank nodes)"),
    (lambda text: "[" * 100_000, "its objects and arrays nest more than 32 levels deep"),
    (lambda text: '{"issuer": "https://evil.example/", ' + text.lstrip()[1:],
     "a key appears twice in one object ('issuer')"),
])
def test_a_hostile_edit_of_a_credential_file_fails_the_build_at_once(keyed, edit,
                                                                     says) -> None:
    """A 2 KB edit (a blank-node clique) made `build` run for minutes; deep nesting crashed
    it. Each is now a problem at its file, found in a moment."""
    site, key, _ = keyed
    [r] = issue(site, key, IssueRequest("member", "a@example.org"))
    r.path.write_text(edit(r.path.read_text()))
    start = time.monotonic()
    with pytest.raises(BuildError) as info:
        build(site, now=NOW)
    assert time.monotonic() - start < WALL
    assert any(says in str(p) for p in info.value.problems), info.value.problems


@pytest.mark.parametrize("where", ["top", "subject", "achievement"])
def test_a_null_type_fails_the_format_check_not_the_verifier(where) -> None:
    """'"type": null' expands to a list holding null: a clear format failure (it crashed
    the safe-mode check before)."""
    from badgepress.trust.verify import check_format

    doc = json.loads(next((TESTS.parent / "site_src/credentials").glob("*.json")).read_text())
    node = {"top": doc, "subject": doc["credentialSubject"],
            "achievement": doc["credentialSubject"]["achievement"]}[where]
    node["@type"] = None
    check, safe = check_format(doc)
    assert (check.status, check.code, safe) == ("fail", "format.undefined", False)
    assert "a type must be a string, not null" in check.message
