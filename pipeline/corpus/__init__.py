"""Corpora: the manifest contract, its validation and the importers that write one."""
