"""`python -m cetrain` runs the command line."""

from cetrain.cli import main

main()
