"""Serving: the local preview server and the dev server.

``hosting`` (the production host's headers from netlify.toml), ``static`` (a static server on
127.0.0.1 that behaves like the host), ``devserver`` (``serve``: watch, rebuild what changed,
live reload, error overlay).
May import: ``core`` and ``build``.
"""
