"""Loading users' classes: ``package.module:Class`` specs and entry-point groups.

Researchers bring their own learners and agents without forking clsim: either name a class
directly (``--learner mylab.replay:MyReplay``) or install a package that declares it in the
``clsim.learners`` / ``clsim.agents`` entry-point group and use its entry-point name.
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from importlib.metadata import entry_points
from typing import Any


class PluginError(ValueError):
    """A plug-in that cannot be found, imported, or that breaks the protocol it is used for."""


def is_spec(name: str) -> bool:
    """Whether `name` names a class by import path rather than by registered name."""
    return ":" in name


def plugin_entries(group: str) -> dict[str, str]:
    """Installed packages' entry points in `group`: name -> ``module:Class``."""
    return {ep.name: ep.value for ep in sorted(entry_points(group=group), key=lambda ep: ep.name)}


def plugin_names(group: str) -> list[str]:
    """Names declared by installed packages in the entry-point `group`."""
    return list(plugin_entries(group))


def resolve(name: str, builtins: dict[str, type], group: str, kind: str, protocol: Iterable[str]) -> type:
    """A built-in class by name, else a plug-in that keeps `protocol`; unknown names list what there is."""
    if name in builtins:
        return builtins[name]
    plugins = plugin_names(group)
    if is_spec(name) or name in plugins:
        cls = load_class(name, group)
        check_protocol(cls, name, kind, protocol)
        return cls
    extra = f"; installed plug-ins: {', '.join(plugins)}" if plugins else ""
    raise ValueError(f"unknown {kind} {name!r}; available {kind}s: {', '.join(sorted(builtins))}{extra} "
                     "(or a plug-in as package.module:Class)")


def load_class(name: str, group: str) -> type:
    """The class named by ``module:Class`` or by an entry point of `group`."""
    if is_spec(name):
        module_name, _, attribute = name.partition(":")
        try:
            module = importlib.import_module(module_name)
        except ImportError as error:
            raise PluginError(f"cannot import plug-in {name!r}: {error}") from error
        try:
            return getattr(module, attribute)
        except AttributeError:
            raise PluginError(f"plug-in {name!r}: module {module_name!r} has no {attribute!r}") from None
    found = [ep for ep in entry_points(group=group) if ep.name == name]
    if not found:
        raise PluginError(f"no plug-in {name!r} in entry-point group {group!r}")
    try:
        return found[0].load()
    except (ImportError, AttributeError) as error:
        raise PluginError(f"cannot load plug-in {name!r} ({found[0].value}): {error}") from error


def check_protocol(cls: type, name: str, kind: str, methods: Iterable[str]) -> None:
    """Raise naming the plug-in and every method it lacks."""
    missing = [m for m in methods if not callable(getattr(cls, m, None))]
    if missing:
        raise PluginError(f"plug-in {kind} {name!r} ({cls.__module__}.{cls.__qualname__}) lacks "
                          f"{', '.join(missing)}; a {kind} needs {', '.join(methods)}")


def construct(cls: type, name: str, kind: str, signature: str, *args: Any, **kwargs: Any) -> Any:
    """Build a plug-in, turning a constructor that does not take clsim's arguments into a clear error."""
    try:
        return cls(*args, **kwargs)
    except TypeError as error:
        raise PluginError(f"plug-in {kind} {name!r} cannot be built as {signature}: {error}") from error
