"""Resolve a model name to something `from_pretrained` can load.

"tiny" is the locally built tiny base model (built on first use, then cached); any other value
is passed through: a local directory, or a hub id such as Qwen/Qwen2.5-Math-7B.
"""

TINY = "tiny"
