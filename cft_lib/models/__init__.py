"""Models: resolving model names to loadable paths, and the tiny base model's tokenizer and architecture."""
