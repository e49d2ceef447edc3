"""`badgepress serve`: build, serve on 127.0.0.1, watch the sources, rebuild what changed and
reload open pages (MkDocs' livereload, Zola's error overlay).

Events are debounced (an editor's save is several events); a failed rebuild keeps serving the
last good site and shows the error on every open page until the next good build. The reload
script is injected into HTML only by this server, never into the built site.
"""

from __future__ import annotations

import json
import threading
import time
import urllib.parse
from importlib import resources
from pathlib import Path

from watchdog.events import FileSystemEvent, FileSystemEventHandler
from watchdog.observers import Observer

from ..build.incremental import IncrementalBuilder
from ..core.errors import BadgepressError, BuildError, CannotRun
from ..core.paths import BADGES_DIR, SRC_DIR
from .static import SiteHandler, make_server

DEBOUNCE_S = 0.08
POLL_TIMEOUT_S = 25
CHANGES = {"created", "modified", "deleted", "moved"}
IGNORED_SUFFIXES = (".tmp", ".swp", ".swx", "~", ".lock", ".journal.jsonl")


class BuildState:
    """The latest build outcome, which long-polling pages wait on."""

    def __init__(self) -> None:
        self.epoch = 0
        self.error: str | None = None
        self.css_only = False
        self.changed = threading.Condition()

    def publish(self, error: str | None, css_only: bool = False) -> None:
        with self.changed:
            self.epoch += 1
            self.error, self.css_only = error, css_only
            self.changed.notify_all()

    def wait(self, epoch: int | None, timeout: float = POLL_TIMEOUT_S) -> dict:
        with self.changed:
            if epoch == self.epoch:
                self.changed.wait_for(lambda: self.epoch != epoch, timeout)
            return {"epoch": self.epoch, "error": self.error, "css": self.css_only}


def _dev_asset(name: str) -> bytes:
    return (resources.files("badgepress.serve") / "devassets" / name).read_bytes()


class DevHandler(SiteHandler):
    """The site, plus the live-reload endpoints and the injected script."""

    state: BuildState

    _head_only = False

    def do_GET(self) -> None:  # noqa: N802 - stdlib name
        path = self._url_path()
        if path.startswith("/__badgepress/"):
            return self._dev(path.removeprefix("/__badgepress/"))
        body = self._page()
        if body is not None:
            return self._send(200, "text/html; charset=utf-8", body)
        return super().do_GET()

    def do_HEAD(self) -> None:  # noqa: N802 - stdlib name
        """The headers GET would send: a page's length includes the reload script."""
        body = None if self._url_path().startswith("/__badgepress/") else self._page()
        if body is None:
            return super().do_HEAD()
        self._head_only = True
        self._send(200, "text/html; charset=utf-8", body)

    def _page(self) -> bytes | None:
        """An HTML page of the site with the reload script in it; None for anything else."""
        target = Path(self.translate_path(self.path))
        if target.is_dir():
            target = target / "index.html"
        if target.suffix == ".html" and target.is_file():
            return target.read_bytes().replace(
                b"</body>", b'<script type="module" src="/__badgepress/livereload.js"></script>'
                b"\n</body>", 1)
        return None

    def _dev(self, name: str) -> None:
        if name == "livereload.js":
            return self._send(200, "text/javascript", _dev_asset("livereload.js"))
        if name == "overlay.css":
            return self._send(200, "text/css", _dev_asset("overlay.css"))
        if name == "events":
            query = urllib.parse.parse_qs(urllib.parse.urlsplit(self.path).query)
            raw = (query.get("epoch") or [""])[0]
            epoch = int(raw) if raw.isdigit() else None
            event = self.state.wait(epoch)
            return self._send(200, "application/json", json.dumps(event).encode())
        return self.send_error(404)

    def _send(self, code: int, ctype: str, body: bytes) -> None:
        self.send_response(code)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if not self._head_only:
            self.wfile.write(body)


class Watcher(FileSystemEventHandler):
    """Collects changed paths and rebuilds once they settle."""

    def __init__(self, rebuild) -> None:
        self.rebuild = rebuild
        self.pending: set[Path] = set()
        self.timer: threading.Timer | None = None
        self.lock = threading.Lock()

    def on_any_event(self, event: FileSystemEvent) -> None:
        # reads (opened / closed without writing) happen during every build: ignore them
        if event.event_type not in CHANGES or (event.is_directory and
                                               event.event_type == "modified"):
            return
        paths = [event.src_path, getattr(event, "dest_path", "")]
        with self.lock:
            for p in filter(None, paths):
                name = Path(p).name
                if name.endswith(IGNORED_SUFFIXES) or name.startswith(".#"):
                    continue
                self.pending.add(Path(p))
            if not self.pending:
                return
            if self.timer:
                self.timer.cancel()
            self.timer = threading.Timer(DEBOUNCE_S, self._fire)
            self.timer.daemon = True
            self.timer.start()

    def _fire(self) -> None:
        with self.lock:
            changed, self.pending = self.pending, set()
        self.rebuild(changed)


def _output_dir(root: Path) -> Path:
    """Where the site is built, from site.toml alone (its errors are the build's to show:
    then the default folder)."""
    from ..build.pipeline import config_only

    try:
        return config_only(root).output_dir
    except BadgepressError:
        return root / "_site"


class DevServer:
    """Build, serve and watch one site until stopped."""

    def __init__(self, root: Path, port: int = 8000, *, out_dir: Path | None = None,
                 report=print, verbose: bool = False):
        self.root = root.resolve()
        self.report = report
        self.state = BuildState()
        self.builder = IncrementalBuilder(self.root, out_dir)
        self.build_lock = threading.Lock()
        self.out_dir = out_dir or _output_dir(self.root)
        handler = type("Handler", (DevHandler,), {"state": self.state})
        # the port first: one that is taken fails at once, not after a whole build
        try:
            self.server = make_server(self.out_dir, port, verbose=verbose,
                                      site_root=self.root, handler=handler)
        except OSError as exc:
            raise CannotRun(f"cannot listen on 127.0.0.1:{port}: {exc.strerror} "
                            "(try --port)") from exc
        try:
            self.out_dir.mkdir(parents=True, exist_ok=True)
            result = self._build(None)
        except BaseException:
            self.server.server_close()
            raise
        self.observer = Observer()
        self.watcher = Watcher(self.rebuild)
        theme = result.catalog.config.theme_dir if result else self.root / "theme"
        self.watched = {self.root / BADGES_DIR, self.root / SRC_DIR, theme}
        self._watch()

    def _watch(self) -> None:
        for folder in self.watched:
            if folder.is_dir():
                self.observer.schedule(self.watcher, str(folder), recursive=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"

    def _build(self, changed: set[Path] | None):
        start = time.perf_counter()
        with self.build_lock:
            try:
                result = self.builder.build(changed=changed)
            except BadgepressError as exc:  # BuildError, or a file refused while reading
                message = "\n".join(str(p) for p in exc.problems) \
                    if isinstance(exc, BuildError) else str(exc)
                count = len(exc.problems) if isinstance(exc, BuildError) else 1
                self.report(f"build failed ({count} problem(s)); still serving "
                            f"the last good site:\n{message}")
                self.state.publish(message)
                return None
        css_only = bool(changed) and all(p.suffix == ".css" for p in changed)
        self.state.publish(None, css_only)
        for warning in result.warnings:  # as `build` prints them, until they are fixed
            self.report(f"warning: {warning}")
        self.report(f"rebuilt in {time.perf_counter() - start:.2f} s: {result.rendered} "
                    f"rendered, {len(result.written)} written, {len(result.removed)} removed")
        return result

    def rebuild(self, changed: set[Path]) -> None:
        """Rebuild for ``changed``. A watched folder itself moved, removed or made again
        (or one above it) is watched afresh, and the rebuild looks at everything: what is
        inside a folder that was moved in was never reported file by file."""
        if any(Path(p) == w or w.is_relative_to(p) for p in changed for w in self.watched):
            self.observer.unschedule_all()
            self._watch()
            self._build(None)
            return
        self._build(changed)

    def serve_forever(self) -> None:
        self.observer.start()
        try:
            self.server.serve_forever()
        finally:
            self.stop()

    def stop(self) -> None:
        """Stop watching and close the socket (serve_forever has returned by now)."""
        self.observer.stop()
        self.server.server_close()
        if self.observer.is_alive():
            self.observer.join(timeout=2)
