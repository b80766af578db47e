"""The one error type the CLI prints without a traceback."""


class CliError(Exception):
    """A problem the user can fix; printed as ``swerve: <message>``, exit status 1."""
