"""gradcli's entry point, for `python -m gradcli` and the `gradcli` console script (`run`).

Ctrl-C from the first line on exits 130 quietly, even while gradcli's modules are still
being imported (a KeyboardInterrupt raised inside an import would print a traceback);
gradcli/cli/app.py hands SIGINT back to the command when the command starts. This module
imports nothing else first, so the window before the handler is as small as it can be.
"""

import os
import signal


def _stopped_while_starting(signum, frame):  # no KeyboardInterrupt, so no traceback
    os._exit(128 + signum)


# What app.py looks for (with getattr) before restoring.
_stopped_while_starting.gradcli_startup = True  # type: ignore[attr-defined]


def quiet_start() -> None:
    """Ctrl-C exits 130 quietly until a command runs. A SIGINT the shell set to be ignored
    stays ignored."""
    if signal.getsignal(signal.SIGINT) is signal.default_int_handler:
        signal.signal(signal.SIGINT, _stopped_while_starting)


def run() -> None:
    quiet_start()
    from gradcli.cli.app import main

    main()


if __name__ == "__main__":
    run()
