"""Package namespaces filled on first use, so that importing a package costs only what is used.

`adops.cli` imports each analytics package's cli module, and so the package itself: if the package
imported all its submodules up front, every `adops` command (even `--help`) would load scipy,
statsmodels and pandas first. Instead the package names the submodule of each public name and
`export_lazily` imports it the first time the name is looked up (`from adops.forecast import
ForecastConfig`, `adops.forecast.pace`), as in PEP 562. The package also imports the names under
`if TYPE_CHECKING:`, so that mypy sees them.
"""

from __future__ import annotations

import importlib
import sys
import types
from collections.abc import Mapping, Sequence
from typing import Any

__all__ = ["export_lazily"]


def export_lazily(package: str, sources: Mapping[str, Sequence[str]]) -> None:
    """Make the package `package` (its `__name__`) import its public names on first use.

    `sources` maps a submodule (relative to the package, e.g. "core") to the names taken from it;
    together they must be the package's `__all__`.
    """
    module = sys.modules[package]
    where = {name: f"{package}.{sub}" for sub, names in sources.items() for name in names}
    if sorted(where) != sorted(module.__all__):
        raise ImportError(
            f"{package}: the lazy names differ from __all__: {set(where) ^ set(module.__all__)}"
        )
    module._lazy_sources = where  # type: ignore[attr-defined]
    module.__class__ = _LazyPackage


class _LazyPackage(types.ModuleType):
    _lazy_sources: dict[str, str]

    def __getattr__(self, name: str) -> Any:
        source = self.__dict__["_lazy_sources"].get(name)
        if source is None:
            raise AttributeError(f"module {self.__name__!r} has no attribute {name!r}")
        value = getattr(importlib.import_module(source), name)
        super().__setattr__(name, value)
        return value

    def __setattr__(self, name: str, value: Any) -> None:
        # Importing a submodule binds it on the package. A function named like its submodule
        # (`adops.experiments.power`, `adops.optimize.recommend`) stays the package's name, as when
        # the package imported its names up front.
        if isinstance(value, types.ModuleType) and name in self.__dict__["_lazy_sources"]:
            return
        super().__setattr__(name, value)

    def __dir__(self) -> list[str]:
        return sorted({*super().__dir__(), *self.__dict__["_lazy_sources"]})
