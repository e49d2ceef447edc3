"""Social cards: the 1200×630 PNG that LinkedIn, Slack, X and Facebook show for a shared
badge or credential link (they do not render SVG, the usual badge image format).

One card per badge, drawn at build time from the badge image (SVG rasterized by libvips'
librsvg, PNG read by Pillow), the badge name and the issuer name (Pillow's bundled FreeType
font, so no system font is needed), encoded by libvips (pyvips): about 5 ms a card, where
resvg-py and Pillow's encoder took 30. Cards are kept in the site's
``.badgepress-cache/cards/`` under a digest of everything their bytes depend on (the image
bytes, the texts, the drawing code's version and the libraries' versions): a build where no
badge changed draws nothing, and a fresh clone draws each card once. Card jobs are ordinary
plan jobs; a one-off build draws the new cards ahead in one process while it checks its
credentials.

libvips keeps worker threads once used, and a process forked after that cannot use it (its
threads are gone: the child hangs). So libvips runs only in processes that fork nothing:
the drawing-ahead process, the build's workers (fanout), and one drawing child for any
other process that asks for a card (``draw_card``: the build's own process, a dev server,
tests), forked before that process ever touched libvips.
"""

from __future__ import annotations

import contextlib
import gc
import hashlib
import io
import os
import re
from collections.abc import Callable
from functools import lru_cache, partial
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from ..content.model import Badge
from ..core.files import atomic_write, read_regular
from ..core.paths import CACHE_DIR
from .fanout import in_worker

CARD_SIZE = (1200, 630)
CARD_NAME = "card.png"
# Bump when the drawing below changes: cached cards drawn by older code are then redrawn.
DRAWING = 3
CARDS_DIR = CACHE_DIR / "cards"

_BACKGROUND = (248, 250, 252)
_INK = (17, 24, 39)
_MUTED = (75, 85, 99)
_ACCENT = (15, 95, 194)
_IMAGE_BOX = 380  # the badge image fits a square of this side, left of the texts
_MARGIN = 80
_TEXT_LEFT = _MARGIN + _IMAGE_BOX + 60
# An SVG reference to anything but its own fragments or inline data would make librsvg read
# a file from the maintainer's disk into a published image.
_HREF = re.compile(r"""(?:xlink:)?href\s*=\s*["']\s*([^"'\s]*)""", re.I)
_CSS_URL = re.compile(r"""url\(\s*["']?\s*([^"')\s]*)""", re.I)


@lru_cache(maxsize=1)
def library_versions() -> tuple[str, ...]:
    """The drawing libraries' versions: a new Pillow or libvips may draw other bytes."""
    found = []
    for dist in ("Pillow", "pyvips", "pyvips-binary"):
        try:
            found.append(f"{dist}=={version(dist)}")
        except PackageNotFoundError:
            found.append(f"{dist}==?")
    return tuple(found)


def card_key(badge: Badge, image: bytes | None, issuer: str) -> str:
    """Digest of every input a card's bytes depend on: its cache file name and job input."""
    h = hashlib.sha256()
    for part in (str(DRAWING), *library_versions(), badge.name, issuer,
                 image_kind(badge) or ""):
        h.update(part.encode("utf-8") + b"\0")
    h.update(hashlib.sha256(image or b"").digest())
    return h.hexdigest()


def image_kind(badge: Badge) -> str | None:
    """'png', 'svg' or None (no image: a card of text alone)."""
    if not badge.image_path:
        return None
    return "png" if badge.image_path.suffix.lower() == ".png" else "svg"


def card_job(badge: Badge, image: bytes | None, issuer: str, root: Path
             ) -> tuple[tuple, Callable[[], bytes]]:
    """(inputs, make) of the plan job that writes ``badges/<slug>/card.png``."""
    key = card_key(badge, image, issuer)
    kind = image_kind(badge)
    return (key,), lambda: cached_card(card_path(root, key),
                                       lambda: draw_card(badge.name, issuer, image, kind))


def card_path(root: Path, key: str) -> Path:
    """Where the card of digest ``key`` is kept in the site's card cache."""
    return root / CARDS_DIR / f"{key}.png"


def cached_card(path: Path, draw: Callable[[], bytes]) -> bytes:
    """The card kept at ``path``, or drawn and kept there (written atomically, so two
    workers drawing the same card, or a crash, never leave half a file)."""
    try:
        return path.read_bytes()
    except OSError:
        pass
    data = draw()
    try:
        atomic_write(path, data, sync=False)  # a cache: a lost card is drawn again
    except OSError:  # a read-only site folder: the card is still published, just redrawn
        pass
    return data


class DrawnAhead:
    """The cards a one-off build has not drawn before, drawn into the card cache by one
    background process at a low priority while the build checks its credentials and plans
    (1,000 cards: 5 s of CPU, mostly on the core the build's serial parts leave idle: 2 s
    of a cold build at 100,000 credentials). It stops when the pages stage starts (waiting
    for it would leave a core idle, and how far a low-priority process got varies), whose
    card jobs find its cards in the cache and draw the rest. Nothing depends on it:
    a card it did not draw, or could not keep (a read-only site folder), is drawn by its
    job (the same bytes: the same function and cache key)."""

    MIN_CARDS = 16  # fewer are not worth a process

    def __init__(self) -> None:
        self._process = None
        self._stop = None

    def start(self, catalog) -> None:
        cfg = catalog.config
        todo = []
        for badge in catalog.badges:
            try:
                image = read_regular(badge.image_path) if badge.image_path else None
            except OSError:  # the plan reports it
                continue
            path = card_path(cfg.root, card_key(badge, image, cfg.issuer.name))
            if not path.exists():
                todo.append((path, badge.name, image, image_kind(badge)))
        if len(todo) < self.MIN_CARDS:
            return
        import multiprocessing

        try:
            ctx = multiprocessing.get_context("fork")
            self._stop = ctx.Event()
            process = ctx.Process(target=_draw_all, args=(todo, cfg.issuer.name, self._stop),
                                  daemon=True)
            process.start()
        except (OSError, ValueError):  # no fork here, or no process left: the jobs draw
            return
        self._process = process

    def stop(self) -> None:
        """Let the card being drawn be finished (a card is written whole or not at all),
        then end the process (a build that failed or was interrupted)."""
        if self._process is not None:
            self._stop.set()
            self._process.join(5)
            if self._process.is_alive():
                self._process.kill()
                self._process.join()
            self._process = None


def _draw_all(todo: list[tuple[Path, str, bytes | None, str | None]], issuer: str,
              stop) -> None:
    _become_drawing_process()
    # the lowest claim on a core: the build's serial parts leave one idle (loading, the
    # logs, planning), and the workers' pass over the credentials comes first
    with contextlib.suppress(OSError):  # not allowed to lower it: draws at the same priority
        os.nice(10)
    try:
        for path, name, image, kind in todo:
            if stop.is_set():
                return
            cached_card(path, partial(draw_card, name, issuer, image, kind))
    except KeyboardInterrupt:  # Ctrl-C reaches the whole process group: the build reports it
        return


# the process that may use libvips itself: a drawing child, or the drawing-ahead process
_DRAWS_HERE: int | None = None
# (process id, connection, child's process id) of this process's drawing child
_DRAWER: tuple[int, object, int] | None = None
_MAX_FD = 1 << 20  # above any descriptor (os.closerange asks the kernel for a range)


def draw_card(name: str, issuer: str, image: bytes | None, kind: str | None) -> bytes:
    """The card's PNG bytes: badge image on the left, badge name and issuer on the right.
    Drawn here only in a process where libvips may run (see the module's docstring), else
    by this process's drawing child."""
    # no fork after it, no hazard: a drawing process, a build worker (it forks nothing),
    # a system without fork
    if _DRAWS_HERE == os.getpid() or in_worker() or not hasattr(os, "fork"):
        return _draw(name, issuer, image, kind)
    for attempt in (1, 2):
        conn = _drawer()
        try:
            conn.send((name, issuer, image, kind))
            ok, value = conn.recv()
        except (EOFError, OSError):  # the child died (killed?): one new child, once
            _forget_drawer()
            if attempt == 2:
                raise RuntimeError("the process drawing social cards ended unexpectedly"
                                   ) from None
            continue
        if not ok:
            raise RuntimeError(f"drawing the social card of {name!r} failed: {value}")
        return value
    raise AssertionError("unreachable")


def _drawer():
    """This process's drawing child, forked when first needed (so before this process
    could have used libvips), serving draws until this process closes the connection."""
    global _DRAWER
    if _DRAWER is not None and _DRAWER[0] == os.getpid():
        return _DRAWER[1]
    from multiprocessing import Pipe

    mine, theirs = Pipe()
    pid = os.fork()
    if pid == 0:  # the child: draw until the parent goes
        _become_drawing_process()
        code = 0
        try:
            mine.close()
            # nothing of the parent's but the standard streams: a pipe it holds open would
            # keep whoever waits at the other end waiting (a browser driver's, a server's)
            # for as long as this child lives, which is as long as the parent
            keep = theirs.fileno()
            os.closerange(3, keep)
            os.closerange(keep + 1, _MAX_FD)
            _serve_draws(theirs)
        except BaseException:  # Ctrl-C reaches the whole process group: the parent reports
            code = 1
        finally:
            os._exit(code)
    theirs.close()
    if _DRAWER is None:  # once per process: close and reap the child at exit
        import atexit

        atexit.register(_forget_drawer)
    _DRAWER = (os.getpid(), mine, pid)
    return mine


def _become_drawing_process() -> None:
    """This process forks nothing from now on: libvips may run here. The build pauses its
    collector (fanout.collector_paused); drawing needs it."""
    global _DRAWS_HERE
    _DRAWS_HERE = os.getpid()
    gc.enable()


def _serve_draws(conn) -> None:
    while True:
        try:
            args = conn.recv()
        except EOFError:
            return
        try:
            reply = (True, _draw(*args))
        except Exception as exc:  # reported by the parent, naming the badge
            reply = (False, f"{type(exc).__name__}: {exc}")
        conn.send(reply)


def _forget_drawer() -> None:
    """Close this process's connection to its drawing child, which then ends; reap it."""
    global _DRAWER
    if _DRAWER is None or _DRAWER[0] != os.getpid():
        return
    _, conn, pid = _DRAWER
    _DRAWER = None
    conn.close()
    with contextlib.suppress(OSError):
        os.waitpid(pid, 0)


def _draw(name: str, issuer: str, image: bytes | None, kind: str | None) -> bytes:
    from PIL import Image, ImageDraw

    card = Image.new("RGB", CARD_SIZE, _BACKGROUND)
    draw = ImageDraw.Draw(card)
    draw.rectangle((0, CARD_SIZE[1] - 16, CARD_SIZE[0], CARD_SIZE[1]), fill=_ACCENT)
    badge = _badge_image(image, kind)
    if badge is not None:
        x = _MARGIN + (_IMAGE_BOX - badge.width) // 2
        y = (CARD_SIZE[1] - badge.height) // 2
        card.paste(badge, (x, y), badge)
    left = _TEXT_LEFT if badge is not None else _MARGIN
    width = CARD_SIZE[0] - left - _MARGIN
    title_lines, title_font = fit_text(name, width, max_lines=4, sizes=(68, 60, 52, 44, 38))
    issuer_lines, issuer_font = fit_text(issuer, width, max_lines=2, sizes=(34, 30, 26))
    title_h = _line_height(title_font) * len(title_lines)
    issuer_h = _line_height(issuer_font) * len(issuer_lines)
    y = (CARD_SIZE[1] - (title_h + 28 + issuer_h)) // 2
    for line in title_lines:
        draw.text((left, y), line, font=title_font, fill=_INK)
        y += _line_height(title_font)
    y += 28
    for line in issuer_lines:
        draw.text((left, y), line, font=issuer_font, fill=_MUTED)
        y += _line_height(issuer_font)
    return _png(card)


def _vips():
    """pyvips, with one thread per operation: a card is too small to share between
    threads (the handing over cost 0.4 ms a card), and two drawing processes run at once."""
    import pyvips

    if pyvips.concurrency_get() != 1:
        pyvips.concurrency_set(1)
    return pyvips


def _png(card) -> bytes:
    """The card as PNG, encoded by libvips: 2.4 ms where Pillow's encoder takes 11 (it
    tries four filters on every row); unfiltered rows of a card compress as well. No
    metadata, so the bytes depend on the pixels alone."""
    pyvips = _vips()
    image = pyvips.Image.new_from_memory(card.tobytes(), card.width, card.height, 3, "uchar")
    return image.pngsave_buffer(compression=3, filter="none", keep="none")


def _badge_image(data: bytes | None, kind: str | None):
    """The badge image as RGBA fitted into the image box, or None when there is none or it
    cannot be drawn (the card then shows the texts alone: a card is never worth a failed
    build, and the badge page reports nothing wrong with an image browsers show)."""
    from PIL import Image

    if not data:
        return None
    if kind == "svg":
        return _svg_image(data)
    try:
        img = Image.open(io.BytesIO(data))
        img = img.convert("RGBA")
    except (ValueError, OSError, Image.DecompressionBombError):
        return None
    img.thumbnail((_IMAGE_BOX, _IMAGE_BOX), Image.Resampling.LANCZOS)
    if img.width < _IMAGE_BOX and img.height < _IMAGE_BOX:  # a small PNG: scale it up
        factor = _IMAGE_BOX / max(img.width, img.height)
        img = img.resize((max(1, round(img.width * factor)), max(1, round(img.height * factor))),
                         Image.Resampling.LANCZOS)
    return img


def _svg_image(data: bytes):
    """An SVG badge rendered by libvips (librsvg) at the size of the image box (a vector
    image is drawn at that size, not scaled up), as a Pillow RGBA image; None when it
    cannot be drawn or points at anything outside itself."""
    from PIL import Image

    pyvips = _vips()

    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError:
        return None
    if _external_refs(text):
        return None
    try:
        # its own size first (the header alone), then drawn once at the scale that fits the
        # box: a third less than thumbnail_buffer, which draws it at the box size anyway
        try:
            img = pyvips.Image.svgload_buffer(data)
            scale = min(_IMAGE_BOX / img.width, _IMAGE_BOX / img.height)
            img = pyvips.Image.svgload_buffer(data, scale=scale)
        except (pyvips.Error, ZeroDivisionError):  # a side drawn < 1 px: thumbnail copes
            img = pyvips.Image.thumbnail_buffer(data, _IMAGE_BOX, height=_IMAGE_BOX)
        if img.interpretation != "srgb":
            img = img.colourspace("srgb")
        if not img.hasalpha():
            img = img.bandjoin(255)
        img = img.cast("uchar")
        return Image.frombytes("RGBA", (img.width, img.height), img.write_to_memory())
    except (pyvips.Error, ValueError):
        return None


def _external_refs(svg: str) -> bool:
    """Whether an SVG points at anything outside itself (a file or URL, not '#id' nor
    'data:')."""
    refs = [m.group(1) for m in _HREF.finditer(svg)] + [m.group(1) for m in
                                                        _CSS_URL.finditer(svg)]
    return any(r and not r.startswith("#") and not r.lower().startswith("data:")
               for r in refs)


@lru_cache(maxsize=32)
def _font(size: int):
    from PIL import ImageFont

    return ImageFont.load_default(size=size)


def _line_height(font) -> int:
    return round(font.size * 1.2)


def fit_text(text: str, width: int, *, max_lines: int, sizes: tuple[int, ...]
             ) -> tuple[list[str], object]:
    """``text`` wrapped into at most ``max_lines`` lines of at most ``width`` pixels, at the
    largest of ``sizes`` where it fits; at the smallest, the last line ends in '…'."""
    for size in sizes:
        font = _font(size)
        lines = wrap(text, font, width)
        if len(lines) <= max_lines:
            return lines, font
    lines = lines[:max_lines]
    last = lines[-1]
    while last and font.getlength(last + "…") > width:
        last = last[:-1].rstrip()
    lines[-1] = last + "…"
    return lines, font


def wrap(text: str, font, width: int) -> list[str]:
    """Greedy word wrap by measured width; a word wider than a line is cut where it must."""
    lines: list[str] = []
    line = ""
    for word in text.split():
        candidate = f"{line} {word}" if line else word
        if font.getlength(candidate) <= width:
            line = candidate
            continue
        if line:
            lines.append(line)
        while font.getlength(word) > width:
            cut = len(word) - 1
            while cut > 1 and font.getlength(word[:cut]) > width:
                cut -= 1
            lines.append(word[:cut])
            word = word[cut:]
        line = word
    if line:
        lines.append(line)
    return lines or [""]
