"""Stand-in for the parts of flux.util a CLI plugin run touches."""

import logging
import sys


def set_treedict(in_dict, key, val):
    """set_treedict(d, "a.b.c", 42) is d[a][b][c] = 42, creating levels on demand."""
    path = key.split(".", 1)
    if len(path) == 2:
        set_treedict(in_dict.setdefault(path[0], {}), path[1], val)
    else:
        in_dict[key] = val


class CLIMain:
    """Like flux.util.CLIMain: an exception becomes `<logger>: ERROR: <message>`, exit 1."""

    def __init__(self, logger):
        self.logger = logger

    def __call__(self, main_func):
        logging.basicConfig(level=logging.INFO, format="%(name)s: %(levelname)s: %(message)s")
        exit_code = 0
        try:
            main_func()
        except SystemExit as ex:
            exit_code = ex.code
        except Exception as ex:  # pylint: disable=broad-except
            exit_code = 1
            errmsg = getattr(ex, "strerror", None) or str(ex)
            if getattr(ex, "filename", None):
                errmsg += f": '{ex.filename}'"
            self.logger.error(errmsg)
        finally:
            logging.shutdown()
        sys.exit(exit_code)
