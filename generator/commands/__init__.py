"""Maintenance commands: what a maintainer runs on their own machine, with their key.

``issue`` (sign credentials, one or from a CSV), ``lifecycle`` (revoke, renew, key revoke,
resign, audit), ``scaffold`` (``init``: a new site), ``verify_sources`` (``verify``: files and
URLs, with the site's own documents when run inside a site).
May import: ``core``, ``content``, ``trust``, ``build``.
"""
