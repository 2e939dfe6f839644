import sys

from qa.cli import main

if __name__ == "__main__":  # not when a spawned process (a Dask worker) imports this module again
    sys.exit(main())
