"""Models: the tiny base model's recipe (torch-free), tokenizer and architecture."""
