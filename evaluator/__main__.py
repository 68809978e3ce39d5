import sys

from .tuning import arrow_memory_pool, keep_freed_memory

keep_freed_memory()  # before numpy is imported, on purpose
arrow_memory_pool()

from .cli import main  # noqa: E402 - after the allocators are set, on purpose

sys.exit(main())
