"""The API docs (/api/docs/, Swagger UI over /api/schema/) link their FHIR section from the
top of the description, and the section lists every FHIR address with an example."""

import json

import pytest
from django.test import Client

from intake.fhir.docs import EXAMPLE_SERVICE_REQUEST


@pytest.mark.django_db
def test_the_api_description_links_the_fhir_section_and_its_example():
    schema = Client().get("/api/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
    description = json.loads(schema.content)["info"]["description"]
    link, section = description.index("[FHIR R4](#fhir-r4)"), description.index('id="fhir-r4"')
    assert link < section  # the link at the top, the section it jumps to below
    for address in (
        "POST /fhir/ServiceRequest",
        "GET /fhir/Task/{reference}",
        "GET /fhir/DocumentReference/{reference}",
        "GET /fhir/Binary/outcome-report-{reference}",
    ):
        assert address in description[section:]
    assert json.dumps(EXAMPLE_SERVICE_REQUEST, indent=2) in description
    assert Client().get("/api/docs/").status_code == 200
