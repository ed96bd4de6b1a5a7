"""`python -m entrypoints.cli`: the `chatbot` command (the tests and deploy/ start it this way)."""

from entrypoints.cli import main

main()
