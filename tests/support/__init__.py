"""Test helpers that are not tests: real stand-ins (a local OpenAI-compatible server) used by tests and benchmarks."""
