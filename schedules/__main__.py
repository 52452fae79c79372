"""``python -m schedules validate [FILE...]``."""

import sys

from schedules.cli import main

sys.exit(main())
