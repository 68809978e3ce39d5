import sys

from .tuning import arrow_memory_pool, keep_freed_memory, read_ahead

keep_freed_memory()  # before numpy is imported, on purpose
arrow_memory_pool()
parsed = read_ahead(sys.argv[1:])  # a bulk tender's CSV is parsed while the rest of the tool loads

from .cli import main  # noqa: E402 - after the allocators are set and the read-ahead started, on purpose

sys.exit(main(parsed=parsed))
