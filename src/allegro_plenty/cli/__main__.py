"""``python -m allegro_plenty.cli``: the same as the ``allegro-plenty`` command."""

import sys

from .main import main

sys.exit(main())
