"""The `briefbot` command line (entry point: bot.transport.cli.main:main)."""
