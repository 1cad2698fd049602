"""`python -m watcher`: the same command as `watcher`, for environments without the console script."""

from watcher.cli import main

main()
