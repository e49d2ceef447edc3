"""`badgepress init`: a new badge site for another organisation, ready to build and publish:
configuration, one example badge, an about page, the theme, hosting files and an issuer key
(its private half outside the new site). No demo credentials."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

from ..core.errors import BadgepressError
from ..core.paths import CONFIG_PATH, PAGES_DIR
from ..core.text import slugify

TEMPLATE = Path(__file__).resolve().parent / "site_template"
THEME_README = """# Theme overrides

This site uses the default badgepress theme that ships with the package. To change a
template or an asset, copy that one file from the default theme (`python -c "import
badgepress.theme, os; print(os.path.dirname(badgepress.theme.__file__))"`) to the same
relative path here, e.g. `theme/templates/badge.html` or `theme/assets/style.css`, and edit
it. Every file you do not put here comes from the default theme, so package upgrades keep
reaching the rest.
"""

# Both branches' revocations (one a line) survive a merge; each is also in a log entry, and
# the build checks the two agree. The logs need nothing: each key writes its own.
GITATTRIBUTES_TEXT = """\
# revocations: each branch adds lines; git keeps both sides' (the build checks them)
site_src/revocations.toml merge=union
# signed files stay byte for byte as signed: no line-ending conversion on checkout
# (Git for Windows turns LF into CRLF by default, and every hash would differ)
site_src/credentials/** -text
site_src/status/** -text
site_src/log/** -text
site_src/earners/** -text
site_src/issuer/** -text
site_src/insights.json -text
"""


@dataclass(frozen=True)
class SiteAnswers:
    title: str
    base_url: str
    issuer_name: str
    issuer_url: str
    issuer_email: str = ""
    description: str = ""


def defaults(dest: Path) -> SiteAnswers:
    name = dest.resolve().name.replace("-", " ").replace("_", " ").title() or "Badges"
    host = slugify(dest.resolve().name) or "badges"
    return SiteAnswers(title=f"{name} Badges", base_url=f"https://{host}.netlify.app/",
                       issuer_name=name, issuer_url=f"https://{host}.netlify.app/about/")


def default_key_path(answers: SiteAnswers) -> Path:
    host = urlsplit(answers.base_url).netloc or "badges"
    return Path("~/.config/badgepress").expanduser() / f"{slugify(host)}.key"


def _toml(value: str) -> str:
    return json.dumps(value, ensure_ascii=False)  # a JSON string is a TOML basic string


def requirement() -> str:
    """The new site's requirements.txt line: this package at this version, so the build
    host installs exactly what the maintainer previewed with."""
    try:
        return f"badgepress=={metadata.version('badgepress')}"
    except metadata.PackageNotFoundError:
        return "badgepress"


def requirement_note() -> str:
    """What to change in requirements.txt when this copy of badgepress was not installed
    from a package index (a clone, a local folder): the build host installs
    ``badgepress==<version>`` from PyPI, which may not have this version."""
    try:
        direct = metadata.distribution("badgepress").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return ""
    if not direct:
        return ""  # from an index: the host can install the same
    try:
        url = json.loads(direct).get("url", "")
    except ValueError:
        url = ""
    return (f"this badgepress was installed from {url or 'a local copy'}, not from a "
            "package index: make requirements.txt name where your build host can install "
            "the same version from (e.g. 'badgepress @ git+https://…@<commit>')")


EXAMPLE_BADGE = """---
name: First Contribution
summary: Awarded for a first reviewed and merged contribution to one of our projects.
type: Badge
level: Foundation
skills: [Collaboration, Technical Writing]
issued_within: 2 weeks
claim: |
  Reply to the email announcing your merged contribution, or write to the program team with
  a link to it.
---
This badge recognises people who made their first contribution: a fix, a feature, a
translation or documentation, reviewed and merged by the maintainers.

## What it takes to earn this badge

- Open a contribution (pull request, patch or document) to one of our projects
- Respond to review until it is accepted
- Have it merged by a maintainer
"""

EXAMPLE_SVG = """<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 256 256" width="256"
  height="256" role="img"><title>First Contribution</title>
  <path d="M128 12 228 70v116l-100 58-100-58V70z" fill="#0f5fc2"/>
  <path d="m88 130 28 28 56-60" fill="none" stroke="#fff" stroke-width="18"
    stroke-linecap="round" stroke-linejoin="round"/>
</svg>
"""


def init_site(dest: Path, answers: SiteAnswers) -> list[Path]:
    """Write the new site into ``dest`` (which must be empty or absent)."""
    if dest.exists() and any(p.name not in (".git",) for p in dest.iterdir()):
        raise BadgepressError(f"{dest} is not empty: init only writes into a new folder")
    written: list[Path] = []

    def write(rel: str, text: str) -> None:
        path = dest / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        written.append(path)

    email = f"email = {_toml(answers.issuer_email)}\n" if answers.issuer_email else ""
    write(CONFIG_PATH.as_posix(),
          "# badgepress site configuration (see the badgepress README, \"Configuration\").\n"
          f"title = {_toml(answers.title)}\n"
          f"description = {_toml(answers.description)}\n"
          f"base_url = {_toml(answers.base_url)}\nlanguage = \"en\"\n\n[issuer]\n"
          f"name = {_toml(answers.issuer_name)}\nurl = {_toml(answers.issuer_url)}\n{email}"
          "id = \"https\"\n")
    write("badges/first-contribution.md", EXAMPLE_BADGE)
    write("badges/first-contribution.svg", EXAMPLE_SVG)
    write((PAGES_DIR / "about.md").as_posix(),
          f"---\ntitle: About\n---\n{answers.title} are digital badges issued by "
          f"{answers.issuer_name}. Every credential is an Open Badges 3.0 Verifiable "
          "Credential that anyone can check in their own browser.\n")
    write("theme/README.md", THEME_README)
    write("netlify.toml", (TEMPLATE / "netlify.toml").read_text(encoding="utf-8"))
    write("requirements.txt", requirement() + "\n")
    write(".gitignore", "_site/\n.badgepress-cache/\nsite_src/log/.lock\n"
          "site_src/log/.journal.jsonl\n*.key\n")
    write(".gitattributes", GITATTRIBUTES_TEXT)
    write("README.md",
          f"# {answers.title}\n\nA badge site built with badgepress.\n\n"
          "- `badgepress serve`: preview at http://127.0.0.1:8000 with live reload\n"
          "- `badgepress issue --badge first-contribution --email someone@example.org`: sign "
          "a credential (key: `--key PATH` or `BADGEPRESS_KEY`)\n"
          "- `git push`: Netlify builds and publishes (`netlify.toml`)\n\n"
          "The private key is never in this folder and never goes to the build.\n")
    return written
