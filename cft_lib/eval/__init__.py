"""Evaluation: benchmarks, prompts, answer extraction and grading, aggregation."""
