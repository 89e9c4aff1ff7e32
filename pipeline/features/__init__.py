"""Features: model specs and loading, per-modality extractors, and the HDF5 feature stores."""
