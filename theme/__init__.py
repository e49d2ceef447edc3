"""The default theme, shipped inside the package as ``badgepress.theme``: Jinja templates
(templates/), stylesheets and the browser verifier (assets/), and the pinned, licensed
third-party libraries the verifier uses (vendor/, refreshed from npm by vendor/refresh.sh).

A site overrides single files by putting them at the same relative path in its own theme
folder (``theme`` in site.toml, default ``theme/``); everything else comes from here."""
