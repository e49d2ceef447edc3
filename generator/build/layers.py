"""A mapping of output paths made of layers: a dict of its own (``loose``) and named dicts
(``segments``), with ``owner`` saying which segment holds each of their paths.

A dev server keeps the jobs and files of each badge's credentials as one segment, the same
dict from build to build while that badge's inputs stay the same. Merging 1,000 of them into
one dict of 300,000 paths on every rebuild cost more than the rest of a revocation's
rebuild; layered, a rebuild touches only the segments that changed (``SegmentIndex``).
"""

from __future__ import annotations

from collections.abc import ItemsView, Iterator, Mapping
from typing import Any, Generic, TypeVar

V = TypeVar("V")


class Layered(Mapping[str, V], Generic[V]):
    """Reads like one dict; ``loose`` and each segment must not share a path, and
    ``owner`` must name the segment of every segment path (SegmentIndex keeps it so)."""

    __slots__ = ("loose", "segments", "owner")

    def __init__(self, owner: dict[str, Any] | None = None) -> None:
        self.loose: dict[str, V] = {}
        self.segments: dict[Any, dict[str, V]] = {}
        self.owner: dict[str, Any] = {} if owner is None else owner

    def __getitem__(self, path: str) -> V:
        try:
            return self.loose[path]
        except KeyError:
            pass
        segment = self.segments.get(self.owner.get(path))
        if segment is not None and path in segment:
            return segment[path]
        # not where the index says: an index a later build moved on (SegmentIndex keeps
        # one, updated in place), or a path this mapping lacks; every layer is looked at
        for segment in self.segments.values():
            if path in segment:
                return segment[path]
        raise KeyError(path)

    def __contains__(self, path: object) -> bool:
        try:
            self[path]  # type: ignore[index]
        except (KeyError, TypeError):
            return False
        return True

    def __iter__(self) -> Iterator[str]:
        yield from self.loose
        for segment in self.segments.values():
            yield from segment

    def __len__(self) -> int:
        return len(self.loose) + sum(map(len, self.segments.values()))

    def items(self) -> _Items[V]:
        return _Items(self)


class _Items(ItemsView, Generic[V]):
    """Each layer's items straight from its dict, not a lookup per key."""

    _mapping: Layered[V]

    def __iter__(self) -> Iterator[tuple[str, V]]:
        yield from self._mapping.loose.items()
        for segment in self._mapping.segments.values():
            yield from segment.items()


class SegmentIndex:
    """Which segment holds each path, for the segments of one build, kept by a dev server
    from build to build and updated in place: a rebuild indexes only the segments that
    are not the very dicts of the last one (a mapping of an earlier build still reads its
    own files: ``Layered`` looks at every layer when the index points elsewhere)."""

    def __init__(self) -> None:
        self.owner: dict[str, Any] = {}
        self.indexed: dict[Any, dict] = {}

    def update(self, segments: dict[Any, dict[str, V]], loose: Mapping[str, V]
               ) -> tuple[str, Any, Any] | None:
        """Index ``segments``; None, or (path, first, second) when two of them, or a
        segment and ``loose``, hold one path: the values that clash. After a clash the
        index is in no known state: drop it (the next build makes a new one)."""
        owner, indexed = self.owner, self.indexed
        for name, jobs in list(indexed.items()):
            if segments.get(name) is not jobs:
                for path in jobs:
                    if owner.get(path) == name:
                        del owner[path]
                del indexed[name]
        for name, jobs in segments.items():
            if indexed.get(name) is jobs:
                continue
            for path, value in jobs.items():
                other = owner.setdefault(path, name)
                if other != name:
                    return path, segments[other][path], value
            indexed[name] = jobs
        for path, value in loose.items():
            name = owner.get(path)
            if name is not None:
                return path, segments[name][path], value
        return None
