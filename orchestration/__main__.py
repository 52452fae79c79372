"""``python -m orchestration validate [PATH...]``."""

import sys

from .cli import main

sys.exit(main())
