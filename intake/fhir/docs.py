"""The FHIR section of the API docs (appended to the OpenAPI description by intake.api's
schema hook), with an example a developer can send as it is."""

import json

from . import profile as p

EXAMPLE_SERVICE_REQUEST = {
    "resourceType": "ServiceRequest",
    "identifier": [{"system": "http://ehr.example.org/referrals", "value": "REF-2026-0042"}],
    "status": "active",
    "intent": "order",
    "priority": "routine",
    "contained": [
        {
            "resourceType": "Patient",
            "id": "patient",
            "name": [{"use": "official", "family": "Diaz", "given": ["Ana"]}],
            "gender": "female",
            "birthDate": "1984-03-02",
            "telecom": [{"system": "phone", "use": "mobile", "value": "+16175550123"}],
            "address": [{"postalCode": "02116"}],
            "communication": [{"language": {"coding": [{"code": "en"}]}}],
        },
        {
            "resourceType": "Practitioner",
            "id": "requester",
            "identifier": [{"system": p.SYSTEM_NPI, "value": "1234567893"}],
            "name": [{"family": "Okafor", "given": ["Ruth"]}],
        },
    ],
    "subject": {"reference": "#patient"},
    "requester": {"reference": "#requester"},
    "reasonCode": [{"coding": [{"system": p.SYSTEM_ICD10CM, "code": "G43.709"}]}],
    "quantityQuantity": {"value": 3},
    "locationCode": [{"coding": [{"system": p.CS_LOCATION, "code": "boston"}]}],
    "extension": [
        {"url": p.EXT_CONTACT_CONSENT, "valueBoolean": True},
        {"url": p.EXT_HEADACHE_DAYS, "valueInteger": 18},
        {"url": p.EXT_YEARS, "valueInteger": 12},
        {"url": p.EXT_PREVENTIVE, "valueCode": "topiramate"},
        {"url": p.EXT_CONTRAINDICATION, "valueCode": "none"},
    ],
}

# Linked from the top of the description (Swagger UI gives markdown headings no id of their own,
# so the heading is written as HTML with one).
FHIR_LINK = (
    "\n\nFor EHRs that speak FHIR: [FHIR R4](#fhir-r4) (ServiceRequest, Task, DocumentReference), "
    "with an example, below."
)

FHIR_SECTION = f"""

<h2 id="fhir-r4">FHIR R4</h2>

The same referrals, for EHRs that speak FHIR, with the same API keys
(`Authorization: Bearer <key>`); bodies are `application/fhir+json` (or `application/json`).

* `POST /fhir/ServiceRequest`: a ServiceRequest with its Patient (the subject) and Practitioner
  (the requester, identified by NPI, which must be the key's provider's) contained, or a
  `transaction` Bundle holding them as entries. Validated as FHIR R4 and then by the same rules as
  the web form. Answers `201` with the referral as a `Task` (HL7 BSeR's shape) and its `Location`;
  sending the same `identifier` again answers `200` with the same Task (a different body with the
  same identifier answers `409`). Every refusal is an `OperationOutcome` (400 not FHIR, 401/403 the
  key, 409 identifier reused, 413 over 1 MB, 422 not a referral this clinic can take, with the
  FHIRPath of each field at fault).
* `GET /fhir/Task/{{reference}}`: the referral's status (`Task.status` as BSeR, the portal's
  own status in `businessStatus`, the reason in `statusReason`);
  `GET /fhir/Task/{{reference}}/_history`: every status it went through, newest first.
* `GET /fhir/DocumentReference/{{reference}}`: once the course is complete, the outcome report
  (the Task's `output` names it), `docStatus` preliminary until the 3-month follow-up, then final;
  its `content[0].attachment.url` is the PDF, `GET /fhir/Binary/outcome-report-{{reference}}`
  (`application/pdf`). Only the key's provider's own referrals: another's, an unknown one and one
  with no report yet are all `404`.

Where each field goes: patient name, `birthDate`, `gender`, a `mobile` phone, `address.postalCode`
and `communication` on the Patient; the ICD-10-CM migraine code in `reasonCode` (or a referenced
Condition); the recommended number of infusions in `quantityQuantity.value`; `priority` urgent,
asap or stat for an urgent referral; the location's slug in `locationCode` ({p.CS_LOCATION}); and
in extensions: `{p.EXT_CONTACT_CONSENT}` (valueBoolean, required true),
`{p.EXT_HEADACHE_DAYS}` and `{p.EXT_YEARS}` (valueInteger), `{p.EXT_PREVENTIVE}` and
`{p.EXT_CONTRAINDICATION}` (valueCode, repeated; the contraindication `none` means screened, none
apply), `{p.EXT_MEDICATIONS}`, `{p.EXT_BLOOD_PRESSURE}` and `{p.EXT_PREVENTIVE_OTHER}`
(valueString).

Example:

```json
{json.dumps(EXAMPLE_SERVICE_REQUEST, indent=2)}
```
"""
