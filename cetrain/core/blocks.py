"""Reading a feature matrix in blocks of rows, giving back a memory-mapped matrix's pages as
each block is done.

A NumPy memmap of a file (`np.load(path, mmap_mode="r")`) reads its pages from disk as they are
touched, and the kernel leaves them mapped into the process (its resident memory, RSS) until it
needs the room. Training reads X once per epoch, so a memmap X would end up wholly resident.
`released` hands each block's pages back (madvise MADV_DONTNEED) once the block has been used:
the values stay in the file and in the kernel's page cache, which keeps them for the next read
or drops them as memory allows, and the process holds about one block of X at a time.
Arrays that are not views of a shared file mapping are read as they are, with nothing to give
back.
"""

import mmap
from collections.abc import Iterable, Iterator

import numpy as np

# Rows per block for a pass that reads X once (a range, a sum, a finiteness check): about this
# many bytes, so that a block's temporaries stay small next to X.
BLOCK_BYTES = 1 << 22
# np.memmap modes whose mapping is shared with the file: dropping a page loses nothing. A
# copy-on-write mapping ("c") holds the process's own changes in its pages, so it is left alone.
_SHARED_MODES = frozenset({"r", "r+", "w+"})


def block_rows(d: int, itemsize: int = 8, block_bytes: int | None = None) -> int:
    """Rows per block so that a block of d columns of `itemsize` bytes is about `block_bytes`
    (default BLOCK_BYTES), at least 64."""
    block_bytes = BLOCK_BYTES if block_bytes is None else block_bytes
    return max(64, block_bytes // (itemsize * max(d, 1)))


def row_blocks(X: np.ndarray, rows: int | None = None) -> Iterator[tuple[int, int]]:
    """(start, stop) of consecutive blocks of X's rows (`rows` each, default `block_rows`), with
    a memory-mapped X's pages of each block given back once the loop body has used it."""
    n, d = X.shape
    rows = block_rows(d) if rows is None else rows
    return released(X, ((start, min(start + rows, n)) for start in range(0, n, rows)))


def first_non_finite(X: np.ndarray) -> tuple[int, int] | None:
    """(row, column) of X's first NaN or infinite value, None when every value is finite.

    X (n, d) is read a block of rows at a time, with no temporary of its size: a block's sum is
    finite unless a value is not (or the sum overflows, when the block is looked at value by
    value)."""
    for start, stop in row_blocks(X):
        block = X[start:stop]
        with np.errstate(over="ignore", invalid="ignore"):
            if np.isfinite(block.sum()):
                continue
        bad = ~np.isfinite(block)
        if bad.any():
            row, column = np.argwhere(bad)[0]
            return start + int(row), int(column)
    return None


def released(X: np.ndarray, blocks: Iterable[tuple[int, int]]) -> Iterator[tuple[int, int]]:
    """The blocks of rows (start, stop), each given back to the kernel (see FilePages) when the
    loop asks for the next one: wrap any loop over X's row blocks in it."""
    pages = FilePages.of(X)
    for start, stop in blocks:
        yield start, stop
        if pages is not None:
            pages.release(start, stop)


class FilePages:
    """The file pages under the rows of a C-contiguous 2-D view of a shared file mapping.

    Parameters
    ----------
    mapping : mmap.mmap
        The mapping X's memory belongs to.
    offset : int
        Where X's first row starts in the mapping, in bytes.
    row_bytes : int
        The bytes of one row of X.
    """

    def __init__(self, mapping: mmap.mmap, offset: int, row_bytes: int) -> None:
        self.mapping, self.offset, self.row_bytes = mapping, offset, row_bytes

    @classmethod
    def of(cls, X: np.ndarray) -> "FilePages | None":
        """X's file pages, or None when X is not (a view of) a shared np.memmap, is not
        C-contiguous, or the system cannot give pages back."""
        if not hasattr(mmap, "MADV_DONTNEED") or X.ndim != 2 or not X.flags.c_contiguous:
            return None
        owner, shared = X, False
        while owner is not None and not isinstance(owner, mmap.mmap):
            if isinstance(owner, np.memmap):
                shared = shared or owner.mode in _SHARED_MODES
            owner = getattr(owner, "base", None)
        if owner is None or not shared:
            return None
        try:
            start = np.frombuffer(owner, dtype=np.uint8).__array_interface__["data"][0]
        except (ValueError, TypeError):  # a closed mapping
            return None
        offset = X.__array_interface__["data"][0] - start
        if offset < 0 or offset + X.nbytes > len(owner):
            return None
        return cls(owner, offset, X.shape[1] * X.itemsize)

    def release(self, start: int, stop: int) -> None:
        """Give back the pages of rows start..stop (whole pages, so a page shared with a
        neighbouring row is given back too: the next read maps it again from the cache)."""
        first = self.offset + start * self.row_bytes
        first -= first % mmap.PAGESIZE
        last = self.offset + stop * self.row_bytes
        if last <= first:
            return
        try:
            self.mapping.madvise(mmap.MADV_DONTNEED, first, last - first)
        except (OSError, ValueError):  # closed meanwhile, or refused: the pages just stay
            pass
