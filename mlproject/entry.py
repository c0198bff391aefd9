"""MLproject entry points that need more than `python -m cft_lib ...`: MLproject parameters are
strings, so `--dry-run=true` and `--set-list="k=v k=v"` become the CLI's flags here.

    mlflow run . -e ablation -P spec=teacher_model [-P dry_run=true] [-P set="data.size=500"] [-P executor=ray]
        --env-manager local
"""

import sys

from cft_lib.cli import main


def translate(argv: list[str]) -> list[str]:
    out = []
    for arg in argv:
        if arg.startswith("--dry-run="):
            if arg.split("=", 1)[1].strip().lower() in ("true", "1", "yes"):
                out.append("--dry-run")
        elif arg.startswith("--address="):  # empty: no address (a local Ray cluster)
            if arg.split("=", 1)[1].strip():
                out.append(arg)
        elif arg.startswith("--set-list="):
            for item in arg.split("=", 1)[1].split():
                out += ["--set", item]
        else:
            out.append(arg)
    return out


if __name__ == "__main__":
    sys.exit(main(translate(sys.argv[1:])))
