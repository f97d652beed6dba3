"""Room in the table of open files: each writable space keeps its write-ahead log open, and
every connection is a socket.

Linux often starts a process with a soft limit of 1,024 open files under a far higher hard one.
The server lifts its soft limit to the hard one at start (as Go's runtime does for every
program), so that `max_spaces`, not an accident of the shell, decides how many spaces fit; and
says so at start when even the hard limit is too low for `max_spaces`.
"""

from __future__ import annotations

import logging

log = logging.getLogger(__name__)

# Descriptors besides one a space: connections, snapshot and index-cache files, libraries.
RESERVED = 256
# Linux refuses a limit past its nr_open (2^20 by default), "unlimited" included.
CEILING = 1 << 20


def lift_open_files_limit(max_spaces: int) -> int | None:
    """Raises the soft limit on open files to the hard one; the limit now (None off POSIX)."""
    try:
        import resource
    except ImportError:
        return None
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    wanted = CEILING if hard == resource.RLIM_INFINITY else min(hard, CEILING)
    if soft != resource.RLIM_INFINITY and soft < wanted:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, hard))
            soft = wanted
        except (ValueError, OSError) as error:  # e.g. macOS caps the soft limit lower
            log.info("open files: keeping the soft limit of %d (%s)", soft, error)
    if soft != resource.RLIM_INFINITY and soft < max_spaces + RESERVED:
        log.warning(
            "open files: the limit is %d, too few for max_spaces=%d (one each, plus %d); "
            "creating spaces will fail past about %d: raise `ulimit -n` or lower max_spaces",
            soft,
            max_spaces,
            RESERVED,
            max(soft - RESERVED, 0),
        )
    return soft
