"""Data: the micro-world, records, sources (micro-world, hub, local files), prompt formats, builders."""
