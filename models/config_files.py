"""Reading the TOML files staff edit (the hardship policy, the yearly plan) with errors people
can act on: one ``FieldProblem`` per key, named by its path in the file, never a traceback."""

from __future__ import annotations

import tomllib
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from models.errors import FieldProblem, InputError, ValidationFailed

Loc = tuple[str | int, ...]
M = TypeVar("M", bound=BaseModel)


class KeyProblem(ValueError):
    """A problem found by a validator, with the key path below the validated node it belongs to."""

    def __init__(self, subpath: Loc, problem: str) -> None:
        super().__init__(problem)
        self.subpath = subpath
        self.problem = problem


def read_toml(path: str | Path, what: str) -> dict[str, Any]:
    """The parsed file; ``InputError`` naming ``what`` ("policy file") when it cannot be read."""
    path = Path(path)
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except FileNotFoundError:
        raise InputError(what, f"{path} does not exist") from None
    except tomllib.TOMLDecodeError as exc:
        raise InputError(what, f"{path.name} is not valid TOML: {exc}") from None
    except UnicodeDecodeError:
        raise InputError(what, f"{path.name} is not UTF-8 text") from None
    except OSError as exc:
        raise InputError(what, f"{path} cannot be read: {exc.strerror}") from None


def validate(model: type[M], raw: dict[str, Any], *, what: str, list_key: str, id_field: str,
             specific: Callable[[dict[str, Any], Loc], str | None] = lambda error, loc: None) -> M:
    """``model`` from ``raw``, or ``ValidationFailed`` with one problem per key.

    Items of the top-level list ``list_key`` are named by their ``id_field`` in the paths
    (``versions[2026.1].tiers``); ``specific`` words the error types one file knows better."""
    try:
        return model.model_validate(raw)
    except ValidationError as exc:
        problems = [_field_problem(error, raw, what, list_key, id_field, specific)  # type: ignore[arg-type]
                    for error in exc.errors()]
        raise ValidationFailed(problems) from None


def _field_problem(error: dict[str, Any], raw: dict[str, Any], what: str, list_key: str, id_field: str,
                   specific: Callable[[dict[str, Any], Loc], str | None]) -> FieldProblem:
    loc: Loc = tuple(error["loc"])
    problem: str = error["msg"]
    cause = (error.get("ctx") or {}).get("error")
    if isinstance(cause, KeyProblem):
        loc, problem = loc + cause.subpath, cause.problem
    elif error["type"] == "value_error":
        problem = problem.removeprefix("Value error, ")
    elif error["type"] == "missing":
        problem = "is required"
    elif error["type"] == "extra_forbidden":
        problem = "is not a key this file knows (check the spelling)"
    else:
        problem = specific(error, loc) or problem
    return FieldProblem(key_path(loc, raw, list_key=list_key, id_field=id_field, whole=what), problem)


def key_path(loc: Loc, raw: Any, *, list_key: str, id_field: str, whole: str) -> str:
    """``('versions', 1, 'tiers')`` → ``versions[2026.1].tiers`` (``versions[#2]`` without an id);
    ``whole`` when the problem is with the file as a whole."""
    text = ""
    node = raw
    for part in loc:
        if isinstance(part, int):
            item = node[part] if isinstance(node, list) and 0 <= part < len(node) else None
            ident = item.get(id_field) if isinstance(item, dict) else None
            named = text == list_key and isinstance(ident, str) and ident.strip() != ""
            text += f"[{ident}]" if named else f"[#{part + 1}]"
            node = item
        else:
            text += f".{part}" if text else str(part)
            node = node.get(part) if isinstance(node, dict) else None
    return text or whole
