"""buurtbudget-admin: the command line, the web service and the Fava extension — wiring only."""

__version__ = "0.1.0"
