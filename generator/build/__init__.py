"""The build: one pipeline that turns a site folder into ``{url path: bytes}`` and writes it.

``pipeline`` (the steps, top to bottom, with optional caches for repeated builds),
``credential_stage`` (the signed log, status lists and credentials checked before anything
is rendered), ``plan`` (every output file as a job with its inputs), ``render`` (the only
module that touches Jinja), ``theme`` (site overrides over the packaged default theme),
``links`` (links between pages), ``safety`` (no secret leaves), ``output`` (the atomic swap
of the output folder), ``caches`` and ``incremental`` (what a dev server keeps and reuses).
May import: ``core``, ``content``, ``trust`` and the ``theme`` data package.
"""
