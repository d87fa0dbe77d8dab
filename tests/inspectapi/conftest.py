"""Fixtures for the inspectapi tests: the shipped OpenAPI document and a Swagger 2 sample."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

SHIPPED = Path(__file__).parents[2] / "asperion_orm" / "testing" / "emulator" / "openapi.json"

SWAGGER_YAML = """\
swagger: "2.0"
info:
  title: Projects API
  version: "1"
basePath: /v1
paths:
  /projects:
    get:
      parameters:
        - {name: page, in: query, type: integer}
        - {name: name, in: query, type: string}
        - {name: budget_from, in: query, type: number}
        - {name: budget_to, in: query, type: number}
      responses:
        "200":
          description: A page of projects.
          schema:
            type: object
            properties:
              _data:
                type: array
                items: {$ref: "#/definitions/Project"}
    post:
      parameters:
        - {name: body, in: body, schema: {$ref: "#/definitions/Project"}}
      responses:
        "201": {description: Created.}
  /projects/{id}:
    get:
      parameters: [{name: id, in: path, required: true, type: integer}]
      responses: {"200": {description: One project.}}
    patch:
      responses: {"200": {description: Changed.}}
  /clients:
    get:
      responses:
        "200":
          description: All clients.
          schema: {type: array, items: {$ref: "#/definitions/Client"}}
  /labels:
    get:
      responses:
        "200":
          description: A page of labels.
          schema:
            type: object
            properties:
              _data: {type: array, items: {$ref: "#/definitions/Label"}}
definitions:
  Label:
    type: object
    properties:
      id: {type: integer}
      text: {type: string}
  Client:
    type: object
    description: A client.
    properties:
      id: {type: integer, readOnly: true}
      name: {type: string, maxLength: 80}
  Project:
    type: object
    description: A project for a client.
    required: [name, clientId]
    properties:
      id: {type: integer, readOnly: true}
      name: {type: string, maxLength: 100}
      clientId: {type: integer}
      managerId: {type: integer}
      budget: {type: number, multipleOf: 0.01}
      status: {type: string, enum: [Open, Closed]}
      startsOn: {type: string, format: date}
      VATNumber: {type: string}
      tags: {type: array, items: {type: string}}
      address:
        type: object
        properties:
          street: {type: string}
          city: {type: string}
      tasks:
        type: array
        items:
          type: object
          required: [title]
          properties:
            title: {type: string, maxLength: 50}
            hours: {type: number}
"""


@pytest.fixture(scope="session")
def shipped() -> dict[str, Any]:
    """Return the emulator's OpenAPI document."""
    document: dict[str, Any] = json.loads(SHIPPED.read_text("utf-8"))
    return document
