"""GitHub's OpenAPI description (vendored, see `tests/githubdata.py`), indexed for the fake.

Matches a request to its operation (method and path template), and validates what crosses the
wire against the operation's schemas: request bodies and query parameters (the app's side),
2xx response bodies and webhook payloads (the fake's own side). `$ref`s to `#/components/...`
resolve through one `referencing` registry holding the whole document. Load it once per test
session with `load_spec`: the file is 13 MB.
"""

from __future__ import annotations

import functools
import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote

from openapi_schema_validator import (
    OAS30ReadValidator,
    OAS30WriteValidator,
    oas30_format_checker,
)
from referencing import Registry
from referencing.jsonschema import DRAFT4

from tests.githubdata import rest_api

SPEC_URI = "urn:github:rest-api"
JSON = "application/json"
# Path parameters GitHub accepts with slashes in them (branch names, file paths, a...b).
_MULTI_SEGMENT = frozenset({"path", "ref", "basehead", "branch"})
_PARAM = re.compile(r"\{([^}]+)\}")
# Where the description contradicts what GitHub answers, the fake answers like GitHub and
# ignores these errors: (method, template) -> pattern of error messages to ignore.
_RESPONSE_QUIRKS = {
    # `account` is allOf [simple-user, enterprise] here (anyOf everywhere else): no account
    # has both shapes' fields.
    ("GET", "/app/installations"): re.compile(
        r"^\d+/account: '(name|slug|created_at|updated_at)' is a required property$"
    ),
}

# A oneOf whose `type` discriminator an array cannot carry: the fake's listings (arrays) are
# checked against the array's own schema instead. (method, template) -> schema pointer.
_ARRAY_SCHEMAS = {
    ("GET", "/repos/{owner}/{repo}/contents/{path}"): "/components/schemas/content-directory",
}


def _escape(token: str) -> str:
    return token.replace("~", "~0").replace("/", "~1")


@dataclass(frozen=True)
class Operation:
    method: str
    template: str
    operation_id: str
    pointer: str  # JSON pointer of the operation object inside the document
    pattern: re.Pattern[str]
    literal_segments: int
    body_schema: str | None  # pointer of the JSON request-body schema
    body_required: bool
    query: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> schema

    def match(self, raw_path: str) -> dict[str, str] | None:
        found = self.pattern.fullmatch(raw_path)
        if found is None:
            return None
        return {name: unquote(value) for name, value in found.groupdict().items()}


class OpenAPISpec:
    """The REST description, with compiled validators cached per schema."""

    def __init__(self, document: dict[str, Any]) -> None:
        self.document = document
        self._registry: Registry[Any] = Registry().with_resource(
            SPEC_URI, DRAFT4.create_resource(document)
        )
        self._validators: dict[tuple[str, str], Any] = {}  # compiled jsonschema validators
        self._by_prefix: dict[str, list[Operation]] = {}
        for path, item in document["paths"].items():
            for method, op in item.items():
                if method in {"get", "post", "put", "patch", "delete"}:
                    operation = self._operation(path, method, op)
                    prefix = path.split("/")[1]
                    self._by_prefix.setdefault(prefix, []).append(operation)

    # ---- matching ------------------------------------------------------------------------

    def match(self, method: str, raw_path: str) -> tuple[Operation, dict[str, str]] | None:
        """The most specific operation whose template matches the (percent-encoded) path."""
        best: tuple[Operation, dict[str, str]] | None = None
        for operation in self._by_prefix.get(raw_path.split("/")[1], []):
            if operation.method != method.upper():
                continue
            params = operation.match(raw_path)
            if params is not None and (
                best is None or operation.literal_segments > best[0].literal_segments
            ):
                best = (operation, params)
        return best

    def path_known(self, raw_path: str) -> bool:
        return any(
            operation.match(raw_path) is not None
            for operation in self._by_prefix.get(raw_path.split("/")[1], [])
        )

    def operation(self, method: str, template: str) -> Operation:
        for operation in self._by_prefix.get(template.split("/")[1], []):
            if operation.method == method.upper() and operation.template == template:
                return operation
        raise KeyError(f"{method} {template} is not in GitHub's REST description")

    # ---- validation ----------------------------------------------------------------------

    def body_errors(self, operation: Operation, body: Any) -> list[str]:
        if operation.body_schema is None:
            return ["this operation takes no request body"]
        return self._errors(operation.body_schema, body, write=True)

    def query_errors(self, operation: Operation, query: list[tuple[str, str]]) -> list[str]:
        errors = []
        for name, raw in query:
            schema = operation.query.get(name)
            if schema is None:
                errors.append(f"unknown query parameter {name!r}")
                continue
            value = _coerce(raw, schema)
            pointer = f"{operation.pointer}/query/{name}"
            self._validators.setdefault(
                (pointer, "w"), OAS30WriteValidator(schema, format_checker=oas30_format_checker)
            )
            errors += [
                f"query {name}={raw!r}: {error.message}"
                for error in self._validators[(pointer, "w")].iter_errors(value)
            ]
        return errors

    def response_errors(self, operation: Operation, status: int, body: Any) -> list[str]:
        responses = self.document["paths"][operation.template][operation.method.lower()][
            "responses"
        ]
        response = responses.get(str(status))
        if response is None:
            return [f"status {status} is not documented (documented: {sorted(responses)})"]
        if "$ref" in response:
            name = response["$ref"].rsplit("/", 1)[1]
            response = self.document["components"]["responses"][name]
            pointer = f"/components/responses/{_escape(name)}"
        else:
            pointer = f"{operation.pointer}/responses/{status}"
        if JSON not in response.get("content", {}):
            return []
        array_schema = _ARRAY_SCHEMAS.get((operation.method, operation.template))
        if array_schema is not None and isinstance(body, list):
            return self._errors(array_schema, body, write=False)
        errors = self._errors(f"{pointer}/content/{_escape(JSON)}/schema", body, write=False)
        quirk = _RESPONSE_QUIRKS.get((operation.method, operation.template))
        return [error for error in errors if not (quirk and quirk.match(error))]

    def webhook_errors(self, event: str, payload: dict[str, Any]) -> list[str]:
        name = event.replace("_", "-")
        if "action" in payload:
            name += f"-{payload['action']}"
        if name not in self.document["x-webhooks"]:
            return [f"webhook {name} is not in GitHub's description"]
        pointer = f"/x-webhooks/{_escape(name)}/post/requestBody/content/{_escape(JSON)}/schema"
        return self._errors(pointer, payload, write=False)

    def _errors(self, pointer: str, instance: Any, *, write: bool) -> list[str]:
        key = (pointer, "w" if write else "r")
        validator = self._validators.get(key)
        if validator is None:
            cls = OAS30WriteValidator if write else OAS30ReadValidator
            validator = cls(
                {"$ref": f"{SPEC_URI}#{pointer}"},
                registry=self._registry,
                format_checker=oas30_format_checker,
            )
            self._validators[key] = validator
        return [
            _describe(error)
            for error in validator.iter_errors(instance)
            if not _null_allowed(error)
        ]

    # ---- indexing ------------------------------------------------------------------------

    def _operation(self, path: str, method: str, op: dict[str, Any]) -> Operation:
        pointer = f"/paths/{_escape(path)}/{method}"
        body = op.get("requestBody")
        body_schema = None
        if body is not None and JSON in body.get("content", {}):
            body_schema = f"{pointer}/requestBody/content/{_escape(JSON)}/schema"
        query = {}
        for parameter in op.get("parameters", []):
            parameter = self._resolve(parameter)
            if parameter["in"] == "query":
                query[parameter["name"]] = parameter.get("schema", {})
        return Operation(
            method=method.upper(),
            template=path,
            operation_id=op["operationId"],
            pointer=pointer,
            pattern=_pattern(path),
            literal_segments=sum(1 for part in path.split("/") if part and "{" not in part),
            body_schema=body_schema,
            body_required=bool(body and body.get("required")),
            query=query,
        )

    def _resolve(self, node: dict[str, Any]) -> dict[str, Any]:
        """Follows local `$ref`s (`#/components/parameters/...`) to the object they name."""
        while "$ref" in node:
            target: Any = self.document
            for part in node["$ref"].removeprefix("#/").split("/"):
                target = target[part.replace("~1", "/").replace("~0", "~")]
            node = target
        return node


def _null_allowed(error: Any) -> bool:
    """null where the schema says `nullable`, even beside an enum or oneOf/anyOf.

    GitHub sends it (a commit's unknown `author`, an open issue's `state_reason`); the
    validator reads OAS 3.0.3 strictly and wants null listed in the enum or a branch.
    """
    return bool(error.instance is None and error.schema.get("nullable"))


def _describe(error: Any) -> str:
    where = "/".join(str(part) for part in error.absolute_path) or "(body)"
    message = str(error.message)
    return f"{where}: {message[:200]}{'...' if len(message) > 200 else ''}"


def _pattern(template: str) -> re.Pattern[str]:
    regex = ""
    for index, piece in enumerate(_PARAM.split(template)):
        if index % 2 == 0:
            regex += re.escape(piece)
        else:
            name = re.sub(r"\W", "_", piece)
            regex += f"(?P<{name}>.+)" if piece in _MULTI_SEGMENT else f"(?P<{name}>[^/]+)"
    return re.compile(regex)


def _coerce(raw: str, schema: dict[str, Any]) -> Any:
    """Query values arrive as strings; give the validator the type the schema names."""
    kind = schema.get("type")
    try:
        if kind == "integer":
            return int(raw)
        if kind == "number":
            return float(raw)
    except ValueError:
        return raw
    if kind == "boolean":
        return {"true": True, "false": False}.get(raw, raw)
    if kind == "array":
        return raw.split(",")
    return raw


@functools.cache
def load_spec() -> OpenAPISpec:
    """The vendored description, parsed and indexed once per process."""
    return OpenAPISpec(rest_api())
