"""Core: what every other part uses and that knows nothing of badges or credentials.

Errors (``Problem``/``Problems`` and the one ``BadgepressError`` family), the site layout's
paths, dates and durations, Markdown and small text helpers, atomic file writes.
May import: the standard library and third-party libraries only — never another subpackage.
"""
