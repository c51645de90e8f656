"""The bug catalogue: its file format, loading, and patching the kit's source with a bug."""
