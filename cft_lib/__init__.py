"""cft-lab: declarative Critique Fine-Tuning ablations tracked in MLflow.

The library is layered, imports pointing down: cli → report → ablation → eval → train → teachers →
llm → models → data → tracking/registry/errors/fingerprint/paths, with one deliberate exception
(data/builders.py composes a dataset with a teacher). tests/test_layering.py checks the layers and that
no module imports another in a cycle; docs/DESIGN.md draws the picture.
"""

import os

# On shared 2-core machines torch's OpenMP threads spin-wait and slow training 6-12x;
# a passive wait policy must be set before torch is first imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
