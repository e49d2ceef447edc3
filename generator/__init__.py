"""badgepress: a static site generator for a verifiable Open Badges 3.0 badge program.

Subpackages, each importing only those before it (tests/test_architecture.py checks it):
``core`` → ``content`` → ``trust`` → ``build`` → ``commands`` → ``serve``; ``cli`` on top
maps commands and errors to exit codes. ``theme`` is data: the default theme.
"""

__version__ = "0.2.0"
