"""A stored uint8 array read by slices from its file (``os.pread``), not memory-mapped: an index's compressed article
text, of which a question reads a few kilobytes.

Mapped, every read of a few bytes maps (and counts in the process's RSS) the whole large folio of the page cache
around it: on this machine's ext4 (Linux 6.18) 100 reads of single bytes at random in the 61 MB text of a
million-sentence index mapped 32 MB, and 500 questions all of it. Read by slices, the text stays in the page cache
(shared, as before) and only what a question decompresses is copied into the process, for as long as it needs it.
"""
from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np


class FileBytes:
    """The ``size`` bytes at ``offset`` of a file, as a read-only 1-D uint8 array: sliced with a step of 1 it
    reads just that range; anything else (fancy indexing, ``np.asarray``) reads it all."""

    dtype = np.dtype(np.uint8)
    ndim = 1

    def __init__(self, file: Path, offset: int, size: int) -> None:
        self.file, self.offset, self.size = Path(file), int(offset), int(size)
        # Opened now: a rebuild that replaces the folder later leaves this open file, and its bytes, as they were.
        self._fd = os.open(self.file, os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0))
        self._lock = threading.Lock()  # only for closing: pread itself keeps no file position

    @property
    def shape(self) -> tuple[int]:
        return (self.size,)

    @property
    def nbytes(self) -> int:
        return self.size

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, key: object) -> np.ndarray:
        if isinstance(key, slice) and key.step in (None, 1):
            start, stop, _ = key.indices(self.size)
            return self._read(start, max(stop - start, 0))
        return np.asarray(self)[key]

    def __array__(self, dtype: object = None, copy: object = None) -> np.ndarray:
        array = self._read(0, self.size)
        return array if dtype is None else array.astype(dtype)

    def _read(self, start: int, length: int) -> np.ndarray:
        data = b""
        while len(data) < length:  # pread may return fewer bytes than asked (never for a regular file in practice)
            piece = os.pread(self._fd, length - len(data), self.offset + start + len(data))
            if not piece:
                raise OSError(f"{self.file}: ends before byte {self.offset + start + length}")
            data += piece
        return np.frombuffer(data, dtype=np.uint8)

    def close(self) -> None:
        with self._lock:
            if self._fd >= 0:
                os.close(self._fd)
                self._fd = -1

    def __del__(self) -> None:
        try:
            self.close()
        except (OSError, AttributeError):
            pass

    def __reduce__(self) -> tuple:
        return FileBytes, (self.file, self.offset, self.size)  # another process opens the file again
