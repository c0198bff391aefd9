"""One generation interface with backends: hf (in-process), vllm and openai-compatible HTTP.

Importing this package loads nothing: the backends are registered lazily in llm/base.py, and
torch, transformers, vllm and openai load only when a backend is built (`make_backend`).
"""
