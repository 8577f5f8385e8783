"""`python -m gradcli`. Ctrl-C from here on exits 130 quietly, even while gradcli's
modules are still being imported (gradcli/cli/app.py hands SIGINT back to the command
when the command starts)."""
import os
import signal


def _stopped_while_starting(signum, frame):  # no KeyboardInterrupt, so no traceback
    os._exit(128 + signum)


_stopped_while_starting.gradcli_startup = True

if signal.getsignal(signal.SIGINT) is signal.default_int_handler:  # not if the shell ignores it
    signal.signal(signal.SIGINT, _stopped_while_starting)

from gradcli.cli.app import main  # noqa: E402

main()
