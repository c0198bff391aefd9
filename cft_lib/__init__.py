"""cft-lab: declarative Critique Fine-Tuning ablations tracked in MLflow.

The library is layered (imports point down only): cli → report → ablation → eval → train →
teachers → llm → data → models → config/tracking. See README.md for the picture.
"""

import os

# On shared 2-core machines torch's OpenMP threads spin-wait and slow training 6-12x;
# a passive wait policy must be set before torch is first imported.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

__version__ = "0.1.0"
