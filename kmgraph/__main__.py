"""``python -m kmgraph`` runs the command line."""

from kmgraph.cli import main

if __name__ == "__main__":
    main()
