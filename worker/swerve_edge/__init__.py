"""Swerve's edge core: plain Python shared by the Worker and the CLI.

Nothing in this package imports ``js``, ``pyodide`` or any third-party module, so it
runs unchanged on Pyodide at the edge and on CPython in tests and in the CLI.
"""
