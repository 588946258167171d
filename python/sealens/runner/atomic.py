"""One way to replace a file so that readers (the extension's run view, a resumed run) never see half of
it: write a temp sibling, fsync, rename over the target, fsync the folder. Any failure removes the temp
file; a full disk (ENOSPC, EDQUOT) becomes DiskFullError, which the trainer exits with code 3."""
from __future__ import annotations

import errno
import os
from pathlib import Path
from typing import Callable

DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)


class DiskFullError(OSError):
    pass


def is_disk_full(e: BaseException) -> bool:
    """True for ENOSPC/EDQUOT, also when wrapped (raise … from e, or as the context of another error)."""
    seen = set()
    while e is not None and id(e) not in seen:
        seen.add(id(e))
        if isinstance(e, DiskFullError) or (isinstance(e, OSError) and e.errno in DISK_FULL_ERRNOS):
            return True
        e = e.__cause__ or e.__context__
    return False


def fsync_dir(p: Path) -> None:
    try:
        fd = os.open(p, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:  # some filesystems (and Windows) cannot fsync a directory; the rename is still atomic
        pass
    finally:
        os.close(fd)


def replace_atomically(path: Path, write: Callable[[Path], None]) -> None:
    """`write(tmp)` creates the new content at `tmp`; it then replaces `path` in one rename."""
    path = Path(path)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        write(tmp)
        fd = os.open(tmp, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException as e:
        tmp.unlink(missing_ok=True)
        if is_disk_full(e) and not isinstance(e, DiskFullError):
            raise DiskFullError(errno.ENOSPC, f"disk full while writing {path}") from None
        raise
    fsync_dir(path.parent)


def write_text_atomic(path: Path, text: str) -> None:
    replace_atomically(path, lambda tmp: tmp.write_text(text))


def replace_folder_atomically(tmp: Path, out: Path) -> None:
    """Rename a finished temp folder (a pack, a samples folder) into place; the previous one is removed only
    afterwards, so a reader sees the old folder or the new one, never a mix."""
    import shutil
    tmp, out = Path(tmp), Path(out)
    old = None
    if out.exists():
        old = out.parent / f".{out.name}.old-{os.getpid()}"
        os.replace(out, old)
    os.replace(tmp, out)
    fsync_dir(out.parent)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
