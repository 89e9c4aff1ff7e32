"""params.yaml's schema: one pydantic model per section, each key's type, range and default stated once.

These modules import nothing but pydantic and the standard library, so any stage (and `mer check`) can
validate the whole file before any work without importing torch, h5py or the extractors.
"""
