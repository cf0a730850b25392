"""``python -m alpacaspot.cli``: the same as the ``alpacaspot`` command."""

import sys

from alpacaspot.cli import main

sys.exit(main())
