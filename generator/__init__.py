"""badgepress: a static site generator for a verifiable Open Badges 3.0 badge program."""

__version__ = "0.1.0"
