import sys

from .util import keep_freed_memory, read_ahead

keep_freed_memory()
read_ahead(sys.argv[1:])  # a bulk tender's CSV is parsed while the rest of the tool loads

from .cli import main  # noqa: E402 - after the read-ahead has started, on purpose

sys.exit(main())
