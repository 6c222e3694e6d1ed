"""`python -m portal`: the operators' command line."""

import sys

from portal.cli import main

sys.exit(main())
