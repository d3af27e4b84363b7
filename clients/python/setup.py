"""What pyproject.toml cannot say: ``cfsp_lm_eval.pth`` goes to the root of site-packages (beside
the ``cfsp`` package, not inside it), so that every interpreter imports ``_cfsp_lm_eval_hook`` at
start-up and ``lm_eval --model cfsp`` finds the model. Everything else about the package is in
pyproject.toml."""

from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

PTH = "cfsp_lm_eval.pth"
SOURCE = Path(__file__).resolve().parent / PTH


class build_py_with_pth(build_py):
    """build_py that also puts ``cfsp_lm_eval.pth`` at the root of the wheel.

    A regular wheel (``pip install ./clients/python``) installs build_lib's top level at the root
    of site-packages, so the file is copied there. An editable wheel (``pip install -e``, PEP 660,
    setuptools >= 64) installs only a finder that maps ``cfsp`` and ``_cfsp_lm_eval_hook`` to the
    source tree and ignores build_lib, so there the file is copied to the unpacked editable wheel
    itself, which setuptools' editable_wheel makes the install command's ``install_lib``."""

    def _pth_target(self) -> Path:
        if getattr(self, "editable_mode", False):
            return Path(self.get_finalized_command("install").install_lib) / PTH
        return Path(self.build_lib) / PTH

    def run(self) -> None:
        super().run()
        target = self._pth_target()
        self.mkpath(str(target.parent))
        self.copy_file(str(SOURCE), str(target), preserve_mode=0)

    def get_outputs(self, include_bytecode: bool = True) -> list:
        return [*super().get_outputs(include_bytecode), str(self._pth_target())]


setup(cmdclass={"build_py": build_py_with_pth})
