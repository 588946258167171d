"""The caption token ids of every image in two flat arrays instead of one Python list per caption: at 100k
images, lists of Python ints would be the largest thing a run keeps in memory."""
from __future__ import annotations

from array import array
from typing import Iterable, Iterator, List, Optional

import numpy as np


class TokenLists:
    """`lists[i]` is caption i's token ids (a list) or None (no caption); iterating yields the same."""

    def __init__(self, lists: Iterable[Optional[List[int]]]):
        ids, ends, has = array("q"), array("q", [0]), array("b")   # grown in place: no per-caption objects
        for ls in lists:
            has.append(ls is not None)
            ids.extend(ls or ())
            ends.append(len(ids))
        self._ids = np.frombuffer(ids, dtype=np.int64) if ids else np.zeros(0, np.int64)
        self._ends = np.frombuffer(ends, dtype=np.int64)
        self._has = np.frombuffer(has, dtype=np.int8).astype(bool) if has else np.zeros(0, bool)

    def __len__(self) -> int:
        return len(self._has)

    def __getitem__(self, i: int) -> Optional[List[int]]:
        i = int(i)
        if not self._has[i]:
            return None
        return self._ids[self._ends[i]:self._ends[i + 1]].tolist()

    def __iter__(self) -> Iterator[Optional[List[int]]]:
        return (self[i] for i in range(len(self)))
