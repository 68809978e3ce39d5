import sys

from .cli import main
from .util import keep_freed_memory

keep_freed_memory()

sys.exit(main())
