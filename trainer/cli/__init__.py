"""The command line: ``python -m trainer COMMAND`` (also ``kws COMMAND``)."""
