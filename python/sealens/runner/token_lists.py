"""The caption token ids of every image in two flat arrays instead of one Python list per caption: at 100k
images, lists of Python ints would be the largest thing a run keeps in memory."""
from __future__ import annotations

from typing import Iterable, Iterator, List, Optional

import numpy as np


class TokenLists:
    """`lists[i]` is caption i's token ids (a list) or None (no caption); iterating yields the same."""

    def __init__(self, lists: Iterable[Optional[List[int]]]):
        ids, ends, has = [], [0], []
        for ls in lists:
            has.append(ls is not None)
            ids.append(np.asarray(ls or [], dtype=np.int64))
            ends.append(ends[-1] + len(ls or []))
        self._ids = np.concatenate(ids) if ids else np.zeros(0, np.int64)
        self._ends = np.asarray(ends, dtype=np.int64)
        self._has = np.asarray(has, dtype=bool)

    def __len__(self) -> int:
        return len(self._has)

    def __getitem__(self, i: int) -> Optional[List[int]]:
        i = int(i)
        if not self._has[i]:
            return None
        return self._ids[self._ends[i]:self._ends[i + 1]].tolist()

    def __iter__(self) -> Iterator[Optional[List[int]]]:
        return (self[i] for i in range(len(self)))
