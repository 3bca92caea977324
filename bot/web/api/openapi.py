"""`/api/v1/openapi.json`: OpenAPI 3.1 built from the endpoints and their pydantic models.

Schemas are pydantic's JSON Schema (draft 2020-12, what OpenAPI 3.1 uses), collected under
`components/schemas`: answers in serialization mode, bodies and queries in validation mode.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, Literal

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

from bot.web.api.endpoints import ENDPOINTS
from bot.web.api.models import MAX_ID, Error
from bot.web.api.routing import Endpoint

REF = "#/components/schemas/{model}"
TITLE = "AI Orchestrator REST API"
VERSION = "1"
ERRORS = {
    400: "The body is not JSON",
    401: "No token, or one GitHub does not accept",
    403: "You lack write permission on the repository",
    404: "No such project, or not one you can see",
    405: "Method not allowed",
    409: "Already exists",
    413: "The body is too large",
    422: "The query or body is not valid",
    503: "Setup mode, or GitHub did not answer",
}
Mode = Literal["validation", "serialization"]


def _models(endpoints: Sequence[Endpoint]) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    wanted: dict[tuple[type[BaseModel], JsonSchemaMode], None] = {(Error, "serialization"): None}
    for endpoint in endpoints:
        if endpoint.answer is not None:
            wanted[(endpoint.answer, "serialization")] = None
        if endpoint.body is not None:
            wanted[(endpoint.body, "validation")] = None
    return list(wanted)


def _not_null(schema: dict[str, Any]) -> dict[str, Any]:
    """A query parameter's schema without the `null` branch of an optional field (a query
    value is absent, never null)."""
    branches = [s for s in schema.get("anyOf", []) if s.get("type") != "null"]
    if len(branches) == 1:
        rest = {k: v for k, v in schema.items() if k != "anyOf"}
        return {**branches[0], **rest}
    return schema


def _query_parameters(model: type[BaseModel]) -> list[dict[str, Any]]:
    schema = model.model_json_schema(ref_template=REF, mode="validation")
    required = set(schema.get("required", []))
    parameters = []
    for name, prop in schema.get("properties", {}).items():
        prop = _not_null(dict(prop))
        description = prop.pop("description", None)
        prop.pop("title", None)
        parameter = {"name": name, "in": "query", "required": name in required, "schema": prop}
        if description:
            parameter["description"] = description
        parameters.append(parameter)
    return parameters


def _path_parameters(endpoint: Endpoint) -> list[dict[str, Any]]:
    if "{project_id}" not in endpoint.path:
        return []
    schema = {"type": "integer", "minimum": 1, "maximum": MAX_ID}
    return [{"name": "project_id", "in": "path", "required": True, "schema": schema}]


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _success(endpoint: Endpoint, refs: dict[tuple[type[BaseModel], JsonSchemaMode], Any]) -> Any:
    assert endpoint.answer is not None
    schema = refs[(endpoint.answer, "serialization")]
    if endpoint.listed:
        schema = {"type": "array", "items": schema}
    answer: dict[str, Any] = {"description": endpoint.summary, "content": _json(schema)}
    answer["content"].update(endpoint.media)
    if endpoint.listed:
        answer["headers"] = {
            "Link": {"description": "first, prev, next, last pages", "schema": {"type": "string"}},
            "X-Total-Count": {"description": "items on all pages", "schema": {"type": "string"}},
        }
    return answer


def _statuses(endpoint: Endpoint) -> list[int]:
    statuses = {401, 405, 503, *endpoint.statuses}
    if endpoint.writes:
        statuses.add(403)
    if endpoint.query is not None or endpoint.body is not None:
        statuses.add(422)
    if endpoint.body is not None:
        statuses |= {400, 413}
    return sorted(statuses)


def _operation(endpoint: Endpoint, refs: dict[Any, Any]) -> dict[str, Any]:
    error = {"$ref": REF.format(model="Error")}
    responses: dict[str, Any] = {str(endpoint.status): _success(endpoint, refs)}
    for status in _statuses(endpoint):
        responses[str(status)] = {"description": ERRORS[status], "content": _json(error)}
    operation: dict[str, Any] = {
        "operationId": f"{endpoint.method.lower()}{endpoint.path.replace('/', '_')}".replace(
            "{", ""
        ).replace("}", ""),
        "summary": endpoint.summary,
        "parameters": _path_parameters(endpoint)
        + (_query_parameters(endpoint.query) if endpoint.query else []),
        "responses": responses,
    }
    if endpoint.body is not None:
        body = refs[(endpoint.body, "validation")]
        operation["requestBody"] = {"required": False, "content": _json(body)}
    return operation


def build_openapi(endpoints: Sequence[Endpoint], *, server: str) -> dict[str, Any]:
    refs, definitions = models_json_schema(_models(endpoints), ref_template=REF)
    paths: dict[str, dict[str, Any]] = {}
    for endpoint in endpoints:
        paths.setdefault(endpoint.path, {})[endpoint.method.lower()] = _operation(endpoint, refs)
    return {
        "openapi": "3.1.0",
        "info": {"title": TITLE, "version": VERSION},
        "servers": [{"url": server}],
        "security": [{"github": []}],
        "paths": paths,
        "components": {
            "schemas": definitions.get("$defs", {}),
            "securitySchemes": {
                "github": {
                    "type": "http",
                    "scheme": "bearer",
                    "description": "A GitHub user token (`gh auth token`, or the App's own)",
                }
            },
        },
    }


@functools.cache
def cached_openapi(server: str) -> dict[str, Any]:
    return build_openapi(ENDPOINTS, server=server)
