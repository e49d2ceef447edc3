"""Content: the site's own sources read into the frozen model.

``config`` (site.toml against its schema) → ``load`` (badge and page files, YAML front matter
with line numbers) → ``validate`` (per-file checks into model objects) → ``catalog`` (checks
across files, prerequisites, skills) → ``model`` (the frozen dataclasses templates receive).
May import: ``core`` only. Knows nothing of keys, signatures or rendering.
"""
