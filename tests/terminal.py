"""A command on a pseudo-terminal, read back as the screen shows it (what a person sees, not a pipe)."""

import fcntl
import os
import pty
import re
import select
import struct
import termios
import time

ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]")


def run_on_terminal(argv: list[str], env: dict[str, str], columns: int = 80, rows: int = 30, timeout: float = 900):
    """Run ``argv`` on a pty of ``columns`` × ``rows``; return its exit code and the lines a terminal keeps:
    a line redrawn in place (a progress bar's carriage returns) counts once, as its last state."""
    pid, fd = pty.fork()
    if pid == 0:  # the child: its stdin, stdout and stderr are the terminal
        os.execvpe(argv[0], argv, {**env, "TERM": "xterm-256color", "COLUMNS": str(columns), "LINES": str(rows)})
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))
    output, deadline = b"", time.monotonic() + timeout
    while time.monotonic() < deadline:
        if select.select([fd], [], [], 1)[0]:
            try:
                chunk = os.read(fd, 65536)
            except OSError:  # the child closed the terminal
                break
            if not chunk:
                break
            output += chunk
    os.close(fd)
    _, status = os.waitpid(pid, 0)
    text = output.decode("utf-8", "replace").replace("\r\n", "\n")
    lines = [ESCAPE.sub("", line.split("\r")[-1]) for line in text.split("\n")]
    return os.waitstatus_to_exitcode(status), lines
