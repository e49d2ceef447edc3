"""Each folder of tests/sites/invalid/ is a bad-input case laid over the basic site: its
files replace or add to the basic site's, and expected.txt holds the exact messages."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from badgepress.build.pipeline import build
from badgepress.cli import main
from badgepress.core.errors import BuildError
from click.testing import CliRunner
from conftest import SITES, copy_site

CASES = sorted(p.name for p in (SITES / "invalid").iterdir() if p.is_dir())


def make_case(name: str, dest: Path) -> Path:
    site = copy_site("basic", dest)
    for f in (SITES / "invalid" / name).rglob("*"):
        if f.is_file() and f.name != "expected.txt":
            target = site / f.relative_to(SITES / "invalid" / name)
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(f, target)
    return site


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.relative_to(folder).as_posix(): p.read_bytes()
            for p in sorted(folder.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("case", CASES)
def test_invalid_case_reports_exact_messages_and_keeps_previous_site(case: str,
                                                                     tmp_path: Path) -> None:
    good = copy_site("basic", tmp_path / "good")
    out = tmp_path / "out"
    build(good, out)
    before = snapshot(out)
    site = make_case(case, tmp_path / "bad")
    with pytest.raises(BuildError) as info:
        build(site, out)
    expected = (SITES / "invalid" / case / "expected.txt").read_text().splitlines()
    assert [str(p) for p in info.value.problems] == expected
    assert snapshot(out) == before  # byte for byte, nothing added or removed
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".out.")]


def test_cli_prints_every_problem_and_exits_1(tmp_path: Path) -> None:
    site = make_case("several-files", tmp_path / "site")
    result = CliRunner().invoke(main, ["-C", str(site), "build"])
    assert result.exit_code == 1, result.output
    expected = (SITES / "invalid/several-files/expected.txt").read_text().splitlines()
    for line in expected:
        assert f"error: {line}" in result.output
    assert "nothing was written" in result.output
    assert not (site / "_site").exists()


def test_check_fails_without_claiming_it_would_have_written(tmp_path: Path) -> None:
    """check never writes: its failure line used to end '; nothing was written' as build's
    does."""
    site = make_case("several-files", tmp_path / "site")
    result = CliRunner().invoke(main, ["-C", str(site), "check"])
    n = len((SITES / "invalid/several-files/expected.txt").read_text().splitlines())
    assert result.exit_code == 1
    assert result.output.splitlines()[-1] == f"check failed: {n} problems"


def test_warnings_pass_unless_strict(basic_site: Path) -> None:
    badge = basic_site / "badges/analyst.md"
    badge.write_text(badge.read_text().replace("level: Intermediate",
                                               "level: Intermediate\ncolour: green"))
    result = build(basic_site)
    assert [str(w) for w in result.warnings] == [
        "badges/analyst.md:6: unknown front matter key 'colour' is ignored (known keys: name, "
        "summary, image, type, level, skills, requires, valid_for, claim, alignments, status, "
        "issued_within, criteria)"]
    with pytest.raises(BuildError) as info:
        build(basic_site, strict=True)
    assert "unknown front matter key 'colour'" in str(info.value)
    runner = CliRunner()
    assert runner.invoke(main, ["-C", str(basic_site), "build"]).exit_code == 0
    # a no-change build repeats the warnings it found, naming the file as it did
    again = runner.invoke(main, ["-C", str(basic_site), "build"])
    assert again.exit_code == 0 and "nothing changed" in again.output, again.output
    assert "warning: badges/analyst.md:6: unknown front matter key 'colour'" in again.output
    strict = runner.invoke(main, ["-C", str(basic_site), "build", "--strict"])
    assert strict.exit_code == 1
    assert "warning: badges/analyst.md:6: unknown front matter key 'colour'" in strict.output


def test_one_prerequisite_written_alone_is_a_list_of_one(tmp_path: Path) -> None:
    """'requires: member' (no brackets) names the badge 'member', as 'skills: X' names one
    skill: the page links it and the catalog's graph has the edge."""
    from badgepress.build.pipeline import load_site

    site = make_case("prerequisite-written-alone", tmp_path / "site")
    leader = site / "badges/leader.md"
    leader.write_text(leader.read_text().replace("requires: membr", "requires: member"))
    catalog, _ = load_site(site)
    assert {b.slug: b.requires for b in catalog.badges}["leader"] == ("member",)
    out = build(site, tmp_path / "out").out_dir
    assert 'href="../member/"' in (out / "badges/leader/index.html").read_text()


def test_a_list_written_as_one_line_with_commas_is_one_item_and_says_so(basic_site: Path
                                                                        ) -> None:
    """'skills: Mentoring, Leadership' is one skill in YAML: the build says so, and how to
    write two."""
    badge = basic_site / "badges/analyst.md"
    text = badge.read_text()
    line = next(i for i, t in enumerate(text.splitlines(), 1) if t.startswith("skills:"))
    badge.write_text("\n".join("skills: Mentoring, Leadership" if t.startswith("skills:")
                               else t for t in text.splitlines()) + "\n")
    result = build(basic_site)
    assert [str(w) for w in result.warnings] == [
        f"badges/analyst.md:{line}: 'skills' is one item named 'Mentoring, Leadership' (for "
        "several, write 'skills: [Mentoring, …]'; to keep one with a comma, write "
        "'skills: [\"Mentoring, Leadership\"]')"]
    assert [b.skills for b in result.catalog.badges if b.slug == "analyst"] == [
        ("Mentoring, Leadership",)]


SVG = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:x="http://www.w3.org/1999/xlink">{}</svg>'


@pytest.mark.parametrize("inner, found", [
    ('<circle r="3"/><a href="https://example.org/"><text>ok</text></a>', None),
    ("<script>alert(1)</script>", "a <script> element"),
    ('<g onclick="alert(1)"/>', "an event handler attribute (onclick=)"),
    ('<a x:href=" Java\tScript:alert(1)"><text>x</text></a>', "a javascript: link"),
    ('<foreignObject><p xmlns="http://www.w3.org/1999/xhtml">x</p></foreignObject>',
     "a <foreignObject> element"),
    ('<a><set attributeName="href" to="javascript:alert(1)"/></a>',
     "an animation to a javascript: link"),
    ('<a><animate attributeName="href" values="#;javascript:alert(1)"/></a>',
     "an animation to a javascript: link"),
    ('<h:iframe xmlns:h="http://www.w3.org/1999/xhtml" srcdoc="&lt;script&gt;x&lt;/script&gt;"/>',
     "an HTML <iframe> element"),
    ('<a xml:base="javascript:alert(1)//" href="#x"><text>x</text></a>', "a javascript: link"),
    ('<g xmlns:i="http://ns.adobe.com/AdobeIllustrator/10.0/"><i:pgf>x</i:pgf></g>', None),
])
def test_badge_svg_code_is_found_however_it_is_written(inner: str, found: str | None) -> None:
    from badgepress.core.svg import active_content

    assert active_content(SVG.format(inner).encode()) == found
    hidden = f'<!DOCTYPE svg [<!ENTITY e "{inner.replace(chr(34), "&#34;")}">]>' + \
        SVG.format("&e;")  # markup hidden in an entity of the document's own DTD
    assert active_content(hidden.encode()) == found


@pytest.mark.parametrize("text, found", [
    (b'<!DOCTYPE svg [<!ENTITY % p ""> %p; <!ENTITY x "<script>alert(1)</script>">]>'
     b'<svg xmlns="http://www.w3.org/2000/svg">&x;</svg>', "a parameter entity in its DTD"),
    (b'<?xml version="1.0" encoding="ISO-2022-JP"?><svg xmlns="http://www.w3.org/2000/svg">'
     b'<!--\x1b(B--><script>alert(1)</script></svg>', "text declared as ISO-2022-JP"),
    (b'<?xml-stylesheet type="text/xsl" href="x.svg"?><svg xmlns="http://www.w3.org/2000/svg"/>',
     "an xml-stylesheet instruction"),
    (b'<svg xmlns="http://www.w3.org/2000/svg"><g></svg>', "not well-formed XML"),
    (b'<?xml version="1.0" encoding="utf-8"?><!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" '
     b'"http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd" [<!ENTITY ns_svg '
     b'"http://www.w3.org/2000/svg">]><svg xmlns="&ns_svg;"><circle r="2"/></svg>', None),
])
def test_badge_svg_a_browser_would_read_otherwise_is_refused(text: bytes,
                                                              found: str | None) -> None:
    """What expat reads otherwise than a browser (a parameter entity, another encoding, an
    XSLT stylesheet, a broken file) is refused rather than guessed at; an Illustrator
    export's DTD and entities are fine."""
    from badgepress.core.svg import active_content

    got = active_content(text)
    assert (got is None) if found is None else (got or "").startswith(found), got


def test_an_unknown_site_toml_key_is_named_with_its_line_and_the_key_it_resembles(
        basic_site: Path) -> None:
    toml = basic_site / "site_src/site.toml"
    text = toml.read_text()
    assert "[issuer]\n" in text
    toml.write_text('baseurl = "https://x.example/"\n'
                    + text.replace("[issuer]\n", '[issuer]\nnmae = "Typo Org"\n', 1))
    warnings = [str(w) for w in build(basic_site).warnings]
    assert "site_src/site.toml:1: unknown key 'baseurl' is ignored (did you mean " \
        "'base_url'?)" in warnings, warnings
    line = toml.read_text().splitlines().index('nmae = "Typo Org"') + 1
    assert f"site_src/site.toml:{line}: unknown key 'issuer.nmae' is ignored (did you mean " \
        "'name'?)" in warnings, warnings
