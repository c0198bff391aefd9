"""Teachers: critique, judge and solve, over an LLM backend or the micro-world oracle."""

from cft_lib.teachers import oracle  # noqa: F401  (registers "oracle")
from cft_lib.teachers.base import Teacher, parse_verdict, teachers  # noqa: F401
