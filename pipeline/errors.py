"""Errors that stop a run with a message for the user rather than a traceback."""


class TooManyFailures(RuntimeError):
    """More clips failed than features.max_failed_fraction allows."""


class StoreWriteError(OSError):
    """A shard could not be written (disk full, quota, permissions); finished shards are untouched."""


class DamagedShard(OSError):
    """A shard's data fails its checksum or cannot be read; re-extracting (or checking out) restores it."""


class StoreWouldShrink(ValueError):
    """Extracting with this manifest would drop clips the store holds; pruning must be asked for."""


class ModelLoadError(ValueError):
    """A model or adapter refused or not found (a pickle that could run code, remote code not allowed,
    missing files): one line naming the spec, the reason and the fix."""


class BadInput(ValueError):
    """A file the user handed over cannot be used (empty, wrong columns, nothing readable): one line
    naming the file, the reason and what to do."""
