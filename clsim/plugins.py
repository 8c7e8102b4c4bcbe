"""Loading users' classes: ``package.module:Class`` specs and entry-point groups.

Researchers bring their own learners and agents without forking clsim: either name a class
directly (``--learner mylab.replay:MyReplay``) or install a package that declares it in the
``clsim.learners`` / ``clsim.agents`` entry-point group and use its entry-point name.
"""

from __future__ import annotations

import importlib
import inspect
from collections.abc import Callable, Iterable, Iterator, Mapping
from importlib.metadata import entry_points
from typing import Any, Generic, TypeVar

T = TypeVar("T")


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


def resolve(name: str, builtins: Mapping[str, Any], group: str, kind: str, protocol: Protocol | Iterable[str]
            ) -> Any:
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


Protocol = Mapping[str, str]  # method -> how clsim calls it on an instance, e.g. "act(observations, greedy=True)"


def _call_fits(method: Any, call: str) -> bool:
    """Whether `method` (looked up on the class) accepts the call written in `call`: its positional arguments by
    name, ``name=value`` ones as keywords."""
    try:
        signature = inspect.signature(method)
    except (TypeError, ValueError):  # a builtin without a signature: nothing to check
        return True
    inside = call[call.index("(") + 1: call.rindex(")")]
    arguments = [a.strip() for a in inside.split(",") if a.strip()]
    positional = [a for a in arguments if "=" not in a]
    keywords = {a.split("=")[0].strip(): None for a in arguments if "=" in a}
    try:
        signature.bind(None, *positional, **keywords)  # None stands for self
    except TypeError:
        return False
    return True


def check_protocol(cls: type, name: str, kind: str, methods: Protocol | Iterable[str]) -> None:
    """Raise naming the plug-in, every method it lacks and every one clsim cannot call as it does."""
    calls = dict(methods) if isinstance(methods, Mapping) else {m: f"{m}()" for m in methods}
    missing = [m for m in calls if not callable(getattr(cls, m, None))]
    wrong = [call for m, call in calls.items() if m not in missing and isinstance(methods, Mapping)
             and not _call_fits(getattr(cls, m), call)]
    where = f"plug-in {kind} {name!r} ({cls.__module__}.{cls.__qualname__})"
    if missing:
        raise PluginError(f"{where} lacks {', '.join(missing)}; {kind}s need {', '.join(calls.values())}")
    if wrong:
        raise PluginError(f"{where} cannot be called as {', '.join(wrong)}; {kind}s need "
                          f"{', '.join(calls.values())}")


class Registry(Mapping[str, T], Generic[T]):
    """The one registry shape of worlds, agents and learners: built-ins registered by name (``@REGISTRY.register``
    on the class, or ``add``), and users' plug-ins by ``module:Class`` or an installed entry point of `group`,
    checked against `protocol` before use. Reads like a mapping of the built-ins."""

    def __init__(self, kind: str, group: str, protocol: Protocol | Iterable[str]) -> None:
        self.kind, self.group, self.protocol = kind, group, protocol
        self._entries: dict[str, T] = {}

    def add(self, name: str, entry: T) -> T:
        """Register `entry` under `name`; a name already taken by another entry is refused."""
        if not name:
            raise ValueError(f"{self.kind} {entry!r} has no name")
        if name in self._entries and self._entries[name] is not entry:
            raise ValueError(f"{self.kind} name {name!r} is already taken by {self._entries[name]!r}")
        self._entries[name] = entry
        return entry

    def register(self, name: str | None = None) -> Callable[[T], T]:
        """A class decorator: register under `name`, or the class's own ``name`` attribute."""
        def decorate(entry: T) -> T:
            return self.add(name or getattr(entry, "name", ""), entry)

        return decorate

    def remove(self, name: str) -> None:
        del self._entries[name]

    def get_entry(self, name: str) -> Any:
        """The built-in `name`, else the plug-in it names (checked against the protocol); unknown names are
        answered with what there is."""
        return resolve(name, self._entries, self.group, self.kind, self.protocol)

    def __getitem__(self, name: str) -> T:
        return self._entries[name]

    def __iter__(self) -> Iterator[str]:
        return iter(sorted(self._entries))

    def __len__(self) -> int:
        return len(self._entries)


def construct(cls: type, name: str, kind: str, signature: str, *args: Any, **kwargs: Any) -> Any:
    """Build a plug-in, turning a constructor that does not take clsim's arguments into a clear error."""
    try:
        return cls(*args, **kwargs)
    except TypeError as error:
        raise PluginError(f"plug-in {kind} {name!r} cannot be built as {signature}: {error}") from error
