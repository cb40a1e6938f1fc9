"""``allegro-plenty``: the operator commands every integration would otherwise write by hand.

``connect allegro`` / ``connect plenty``, ``import --once``, ``procedures poll --once``,
``status`` and ``ledger list / release / resolve``; configuration from a TOML file and
the environment (:mod:`.config`). Run ``allegro-plenty --help``; see ``docs/cli.md``.
"""

from .config import ENVIRONMENT, CliConfig, load_config
from .main import EXIT_CODES, build_parser, exit_code_for, main
from .run import import_exit_code, import_once, poll_once
from .runtime import Runtime

__all__ = [
    "ENVIRONMENT",
    "EXIT_CODES",
    "CliConfig",
    "Runtime",
    "build_parser",
    "exit_code_for",
    "import_exit_code",
    "import_once",
    "load_config",
    "main",
    "poll_once",
]
