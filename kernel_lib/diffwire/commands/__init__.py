"""One module per ``diffwire`` subcommand (see :mod:`diffwire.cli`)."""
