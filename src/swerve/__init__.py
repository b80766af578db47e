"""Swerve's command-line side: rule schema, validation, compilation and publishing."""
