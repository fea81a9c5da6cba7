"""The package's version, in a module of its own: read by the CLI, the server and the plugin
list without importing anything else (and without asking importlib.metadata at run time)."""

__version__ = "0.1.0"
