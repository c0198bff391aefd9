"""MLproject entry point `ablation`: run a spec's cells into MLflow and regenerate its table.

    mlflow run . -e ablation -P spec=teacher_model [-P profile=tiny] --env-manager local
"""

import os
import sys

os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")  # before torch: 2 shared cores spin otherwise

from cft_lib.cli import main  # noqa: E402

if __name__ == "__main__":
    sys.exit(main(["ablation", *sys.argv[1:]]))
