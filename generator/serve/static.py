"""A local preview server on 127.0.0.1 that serves the built site like a static host does
(pretty URLs, the site's 404 page, JSON with CORS)."""

from __future__ import annotations

import functools
import http.server
import threading
import urllib.parse
from pathlib import Path

from .hosting import header_rules, headers_for


class SiteHandler(http.server.SimpleHTTPRequestHandler):
    """Static files plus the behaviour of the production host (netlify.toml)."""

    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                      ".js": "text/javascript", ".mjs": "text/javascript",
                      ".json": "application/json", ".jsonld": "application/ld+json",
                      ".svg": "image/svg+xml", ".webmanifest": "application/manifest+json"}

    rules: list[tuple[str, dict[str, str]]] = []

    def guess_type(self, path):  # netlify.toml may set the type (application/ld+json, …)
        custom = headers_for(self.rules, self._url_path()).get("Content-Type")
        return custom or super().guess_type(path)

    def _url_path(self) -> str:
        return urllib.parse.unquote(self.path.split("?", 1)[0].split("#", 1)[0])

    def end_headers(self) -> None:
        for name, value in headers_for(self.rules, self._url_path()).items():
            if name.lower() not in ("content-type", "cache-control"):
                self.send_header(name, value)
        if self._url_path().endswith((".json", ".jsonld")) and not self.rules:
            self.send_header("Access-Control-Allow-Origin", "*")
        self.send_header("Cache-Control", "no-cache")
        super().end_headers()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None):
        page = Path(self.directory) / "404.html"
        if code == 404 and page.is_file():
            body = page.read_bytes()
            self.send_response(404)
            self.send_header("Content-Type", "text/html; charset=utf-8")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if self.command != "HEAD":
                self.wfile.write(body)
            return
        super().send_error(code, message, explain)

    def log_message(self, format: str, *args) -> None:  # noqa: A002 - stdlib signature
        if getattr(self.server, "verbose", False):
            super().log_message(format, *args)


class _Server(http.server.ThreadingHTTPServer):
    def handle_error(self, request, client_address) -> None:
        """A browser that closes a page (a live reload, a cancelled download) while it is
        being sent is no error worth a traceback."""
        import sys

        if isinstance(sys.exc_info()[1], (BrokenPipeError, ConnectionResetError)):
            return
        super().handle_error(request, client_address)


def make_server(directory: Path, port: int = 8000, host: str = "127.0.0.1",
                verbose: bool = False, site_root: Path | None = None,
                handler: type[SiteHandler] = SiteHandler) -> http.server.ThreadingHTTPServer:
    """A server for the built site; with ``site_root``, its netlify.toml headers apply."""
    rules = header_rules(site_root) if site_root else []
    handler_class = type("Handler", (handler,), {"rules": rules})
    handler = functools.partial(handler_class, directory=str(directory))
    server = _Server((host, port), handler)
    server.daemon_threads = True
    server.verbose = verbose  # type: ignore[attr-defined]
    return server


def serve_in_thread(directory: Path, port: int = 0, site_root: Path | None = None
                    ) -> tuple[http.server.ThreadingHTTPServer, str]:
    """Start a server in a background thread; returns it and its base URL (tests use this)."""
    server = make_server(directory, port, site_root=site_root)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server, f"http://127.0.0.1:{server.server_address[1]}/"
