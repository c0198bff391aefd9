"""Data: records, sources (micro-world now; hub and local files later), prompt formats, builders."""
