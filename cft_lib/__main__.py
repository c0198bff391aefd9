"""`python -m cft_lib`: the `cft` command line."""

import sys

from cft_lib.cli import main

sys.exit(main())
