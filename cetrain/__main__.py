"""`python -m cetrain` runs the command line."""

from cetrain.cli import main

if __name__ == "__main__":
    main()
