"""Read MERTools' object-array .npz files without executing arbitrary pickled code.

MERTools stores label dictionaries as pickled object arrays. np.load(allow_pickle=True) would run any
callable a crafted file names; this unpickler allows only what numpy needs to rebuild an array of
plain Python values (dicts, lists, strings, numbers) and refuses everything else.
"""

from __future__ import annotations

import io
import pickle
import zipfile
from pathlib import Path

import numpy as np
from numpy.lib import format as npformat

ALLOWED = {
    ("numpy.core.multiarray", "_reconstruct"),
    ("numpy._core.multiarray", "_reconstruct"),
    ("numpy.core.multiarray", "scalar"),
    ("numpy._core.multiarray", "scalar"),
    ("numpy", "ndarray"),
    ("numpy", "dtype"),
    ("collections", "OrderedDict"),
}


class RestrictedUnpickler(pickle.Unpickler):
    def find_class(self, module: str, name: str):  # noqa: ANN201 - pickle's signature
        if (module, name) in ALLOWED:
            return super().find_class(module, name)
        raise pickle.UnpicklingError(f"refusing to load {module}.{name} from a pickled array")


def _read_member(data: bytes) -> np.ndarray:
    stream = io.BytesIO(data)
    version = npformat.read_magic(stream)
    read_header = npformat.read_array_header_1_0 if version == (1, 0) else npformat.read_array_header_2_0
    shape, fortran, dtype = read_header(stream)
    if dtype.hasobject:
        return RestrictedUnpickler(stream).load()
    array = np.frombuffer(stream.read(), dtype=dtype, count=int(np.prod(shape)))
    return array.reshape(shape, order="F" if fortran else "C")


def load_npz(path: Path) -> dict[str, np.ndarray]:
    """Every array in an .npz, object arrays included, through the restricted unpickler."""
    with zipfile.ZipFile(path) as archive:
        return {
            member.removesuffix(".npy"): _read_member(archive.read(member))
            for member in archive.namelist()
            if member.endswith(".npy")
        }


def unwrap(array: np.ndarray) -> object:
    """A 0-d object array (how np.savez stores a dict) to the object itself."""
    return array.item() if isinstance(array, np.ndarray) and array.shape == () else array
