"""Errors that stop a run with a message for the user rather than a traceback."""


class TooManyFailures(RuntimeError):
    """More clips failed than features.max_failed_fraction allows."""


class StoreWriteError(OSError):
    """A shard could not be written (disk full, quota, permissions); finished shards are untouched."""


class DamagedShard(OSError):
    """A shard's data fails its checksum or cannot be read; re-extracting (or checking out) restores it."""
