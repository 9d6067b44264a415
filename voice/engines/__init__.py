"""Conversation engines by name. `get_engine(name)` returns a factory; calling it makes one Engine
(`new_engine(name)` does both). What an engine is: `voice.engines.base`.

`engine_for_number(to)` picks the engine for an inbound call by the number called
(settings.VOICE_ENGINE_BY_NUMBER), so a shop can compare engines line by line.

Built-in engines are imported on first use from the dotted paths in BUILTIN_ENGINES, so an engine's
provider adapters only load in processes that use it. To add one, create the module with a class
taking no arguments (for example `voice/engines/cascade.py` with `CascadeEngine`), or call
`register_engine()` (tests register their own engines this way).
"""

from importlib import import_module

from django.conf import settings

from crm.phones import normalize_phone
from dealership.core.errors import ApplicationError
from voice.engines.base import Engine, EngineFactory

BUILTIN_ENGINES: dict[str, str] = {
    "cascade": "voice.engines.cascade:CascadeEngine",
    "realtime": "voice.engines.realtime:RealtimeEngine",
}

_registry: dict[str, EngineFactory] = {}


class UnknownEngine(ApplicationError):
    def __init__(self, message: str):
        super().__init__(message, code="unknown_engine")


def register_engine(name: str, factory: EngineFactory) -> None:
    _registry[name] = factory


def unregister_engine(name: str) -> None:
    _registry.pop(name, None)


def get_engine(name: str) -> EngineFactory:
    """The factory registered as `name`, importing a built-in engine on first use.

    Raises UnknownEngine when there is no such engine or its module cannot be imported.
    """
    factory = _registry.get(name)
    if factory is not None:
        return factory
    target = BUILTIN_ENGINES.get(name)
    if target is None:
        raise UnknownEngine(f"There is no voice engine called {name!r}.")
    module_name, _, attr = target.partition(":")
    try:
        factory = getattr(import_module(module_name), attr)
    except (ImportError, AttributeError) as exc:
        raise UnknownEngine(f"The voice engine {name!r} is not available ({exc}).") from exc
    _registry[name] = factory
    return factory


def new_engine(name: str) -> Engine:
    """A new Engine named `name` for one call: what the stream's opener hands its transport (the
    transport itself never picks an engine). Raises UnknownEngine."""
    return get_engine(name)()


def _same_number(raw: str) -> str:
    try:
        return normalize_phone(raw)
    except ApplicationError:
        return raw.strip()


def engine_for_number(to_number: str) -> str:
    """The engine for a call to our number `to_number`: its entry in settings.VOICE_ENGINE_BY_NUMBER
    (numbers compared in E.164), else settings.VOICE_ENGINE. Lets a shop compare engines by line."""
    wanted = _same_number(to_number or "")
    for number, name in (settings.VOICE_ENGINE_BY_NUMBER or {}).items():
        if name.strip() and _same_number(number) == wanted:
            return name.strip()
    return settings.VOICE_ENGINE


def engines_preload() -> None:
    """Import the configured engines now (web process start): the cascade's SDKs take seconds to
    import (3.8 s measured on the 2-core sandbox under load), and the first call's webhook must not
    pay that inside Twilio's 15 s budget. An engine that cannot load is reported by its first call."""
    for name in {settings.VOICE_ENGINE, *(settings.VOICE_ENGINE_BY_NUMBER or {}).values()}:
        try:
            get_engine(name.strip())
        except UnknownEngine:
            continue
