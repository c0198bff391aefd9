"""Teachers: critique, judge and solve, over an LLM backend or the micro-world oracle.

Importing this package loads nothing: the teachers are registered lazily in teachers/base.py.
"""
