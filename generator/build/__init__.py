"""The build: one pipeline that turns a site folder into ``{url path: bytes}`` and writes it.

``pipeline`` (the steps, top to bottom, with optional caches for repeated builds),
``credential_stage`` (the signed log, status lists and credentials checked before anything
is rendered), ``render`` (the only module that touches Jinja), ``theme`` (site overrides over
the packaged default theme), ``links`` (links between pages), ``plan`` (every output file as a job with its inputs), ``safety`` (no secret leaves),
``output`` (the atomic swap of the output folder), ``incremental`` (the caches).
May import: ``core``, ``content``, ``trust`` and the ``theme`` data package.
"""
