"""``python -m analysis`` is ``salesgxe``."""
import sys

from .cli import main

sys.exit(main())
