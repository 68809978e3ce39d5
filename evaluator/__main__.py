"""`python -m evaluator <verb>` and the installed `social-value <verb>` ([project.scripts] in pyproject.toml):
the same start, whichever way the tool is run and from whichever folder."""
import sys


def run() -> int:
    """Set the process up (tuning.py) before numpy is imported, start the read-ahead of a bulk tender's CSV,
    then run the verb."""
    from .tuning import arrow_memory_pool, keep_freed_memory, read_ahead

    keep_freed_memory()  # before numpy is imported, on purpose
    arrow_memory_pool()
    parsed = read_ahead(sys.argv[1:])  # a bulk tender's CSV is parsed while the rest of the tool loads

    from pathlib import Path

    from .cli import main  # after the allocators are set and the read-ahead started, on purpose

    typed = Path(sys.argv[0]).name if sys.argv and sys.argv[0] else ""
    return main(parsed=parsed, prog="python -m evaluator" if typed in ("", "__main__.py") else typed)


if __name__ == "__main__":
    sys.exit(run())
