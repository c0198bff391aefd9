"""MLproject entry point `report`: regenerate reports/<profile>/<spec>.md from the tracking store.

    mlflow run . -e report -P spec=teacher_model --env-manager local
"""

import sys

from cft_lib.cli import main

if __name__ == "__main__":
    sys.exit(main(["report", *sys.argv[1:]]))
