"""Training: tokenisation with target-only loss, batching (packed / grouped / padded), the loop."""
