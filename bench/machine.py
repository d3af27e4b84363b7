"""What every benchmark script prints about the machine it ran on, and how it hands back its table:
the CPU's model name (figures are only comparable on the same CPU), the load average (the build
machines are shared), and the report written to stdout and, when asked, to a Markdown file."""
import platform
from pathlib import Path
from typing import Optional


def cpu_name() -> str:
    """The CPU's model name from /proc/cpuinfo (else what platform knows)."""
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            return line.split(":", 1)[1].strip()
    return platform.processor() or "unknown"


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as /proc/loadavg gives them."""
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


def emit(text: str, markdown: Optional[str] = None) -> None:
    """Prints the report and, with `markdown`, writes it to that file too."""
    print(text)
    if markdown:
        Path(markdown).write_text(text + "\n")
