"""From a validated FHIR R4 ServiceRequest (plain dicts, already checked by fhir.resources) to
the data ReferralForm validates, the requester's NPI and the request's identifier."""

from dataclasses import dataclass, field

from clinic.params import search_text

from . import profile as p


class MappingError(Exception):
    def __init__(self, message: str, expression: str = ""):
        super().__init__(message)
        self.message = message
        self.expression = expression


@dataclass
class Mapped:
    form_data: dict
    npi: str = ""
    identifier: str = ""
    warnings: list[str] = field(default_factory=list)


def _resolve(reference: str, contained: dict, bundle: dict) -> dict | None:
    if reference.startswith("#"):
        return contained.get(reference[1:])
    return bundle.get(reference)


def _extensions(resource: dict, url: str) -> list[dict]:
    return [e for e in resource.get("extension") or [] if e.get("url") == url]


def _one(resource: dict, url: str, key: str):
    found = _extensions(resource, url)
    return found[0].get(key) if found else None


def _patient_fields(patient: dict) -> dict:
    names = patient.get("name") or [{}]
    name = next((n for n in names if n.get("use") in ("official", "usual")), names[0])
    data = {
        "patient_first_name": " ".join(name.get("given") or []),
        "patient_last_name": name.get("family") or "",
        "date_of_birth": patient.get("birthDate") or "",
        "sex": patient.get("gender") or "",
    }
    telecom = patient.get("telecom") or []
    phones = [t for t in telecom if t.get("system") in ("phone", "sms")]
    phone = next((t for t in phones if t.get("use") == "mobile"), phones[0] if phones else None)
    if phone:
        data["mobile_phone"] = phone.get("value") or ""
    email = next((t for t in telecom if t.get("system") == "email"), None)
    if email:
        data["email"] = email.get("value") or ""
    addresses = patient.get("address") or []
    if addresses:
        data["zip_code"] = addresses[0].get("postalCode") or ""
    for communication in patient.get("communication") or []:
        for coding in (communication.get("language") or {}).get("coding") or []:
            code = (coding.get("code") or "")[:2].lower()
            if code in ("en", "es"):
                data["preferred_language"] = code
                break
    return data


def _diagnosis(request: dict, contained: dict, bundle: dict) -> str:
    concepts = list(request.get("reasonCode") or [])
    for ref in request.get("reasonReference") or []:
        condition = _resolve(ref.get("reference") or "", contained, bundle)
        if condition and condition.get("resourceType") == "Condition":
            concepts.append(condition.get("code") or {})
    codes = [
        c.get("code")
        for concept in concepts
        for c in concept.get("coding") or []
        if c.get("system") == p.SYSTEM_ICD10CM and c.get("code")
    ]
    migraine = [c for c in codes if c.startswith("G43")]
    return (migraine or codes or [""])[0]


def _clinical_fields(request: dict, contained: dict, bundle: dict) -> dict:
    data = {
        "diagnosis_code": _diagnosis(request, contained, bundle),
        "urgency": "urgent" if request.get("priority") in ("urgent", "asap", "stat") else "routine",
        "notes": "\n".join(n.get("text") or "" for n in request.get("note") or []).strip(),
        "preventives_tried": [
            e.get("valueCode") for e in _extensions(request, p.EXT_PREVENTIVE) if e.get("valueCode")
        ],
    }
    quantity = (request.get("quantityQuantity") or {}).get("value")
    if quantity is not None:
        data["recommended_infusions"] = str(quantity)
    for url, name in (
        (p.EXT_HEADACHE_DAYS, "headache_days_per_month"),
        (p.EXT_YEARS, "years_with_migraine"),
    ):
        value = _one(request, url, "valueInteger")
        if value is not None:
            data[name] = str(value)
    for url, name in (
        (p.EXT_PREVENTIVE_OTHER, "preventives_other"),
        (p.EXT_MEDICATIONS, "current_medications"),
        (p.EXT_BLOOD_PRESSURE, "blood_pressure"),
    ):
        value = _one(request, url, "valueString")
        if value:
            data[name] = value
    screen = [e.get("valueCode") for e in _extensions(request, p.EXT_CONTRAINDICATION)]
    data["contraindications"] = [c for c in screen if c and c != "none"]
    if "none" in screen:
        data["no_contraindications"] = "on"
    if _one(request, p.EXT_CONTACT_CONSENT, "valueBoolean") is True:
        data["contact_consent"] = "on"
    for concept in request.get("locationCode") or []:
        for coding in concept.get("coding") or []:
            if coding.get("system") == p.CS_LOCATION and coding.get("code"):
                data["preferred_location"] = coding["code"]
    return data


def _npi(practitioner: dict | None) -> str:
    for identifier in (practitioner or {}).get("identifier") or []:
        if identifier.get("system") == p.SYSTEM_NPI:
            return identifier.get("value") or ""
    return ""


def service_request_map(request: dict, bundle: dict | None = None) -> Mapped:
    """`bundle` maps a transaction Bundle's fullUrls to its resources. Raises MappingError for
    a request that is not a referral this clinic can take (wrong status or intent, no patient)."""
    bundle = bundle or {}
    if request.get("status") != "active":
        raise MappingError("A referral's status must be 'active'.", "ServiceRequest.status")
    if request.get("intent") not in ("proposal", "plan", "order", "original-order"):
        raise MappingError(
            "A referral's intent must be proposal, plan, order or original-order.",
            "ServiceRequest.intent",
        )
    contained = {
        r.get("id"): r
        for r in request.get("contained") or []
        if isinstance(r, dict) and r.get("id")
    }
    subject = _resolve((request.get("subject") or {}).get("reference") or "", contained, bundle)
    if not subject or subject.get("resourceType") != "Patient":
        raise MappingError(
            "The subject must be a Patient contained in the ServiceRequest or an entry of the "
            "transaction Bundle.",
            "ServiceRequest.subject",
        )
    requester = _resolve((request.get("requester") or {}).get("reference") or "", contained, bundle)
    if requester and requester.get("resourceType") == "PractitionerRole":
        requester = _resolve(
            (requester.get("practitioner") or {}).get("reference") or "", contained, bundle
        )
    data = {**_patient_fields(subject), **_clinical_fields(request, contained, bundle)}
    data.setdefault("preferred_language", "en")
    identifiers = request.get("identifier") or []
    identifier = ""
    if identifiers:
        first = identifiers[0]
        # Stored as the referral's idempotency key: no control characters (PostgreSQL refuses NUL).
        identifier = search_text(
            f"fhir:{first.get('system') or ''}|{first.get('value') or ''}", 200
        )
    return Mapped(form_data=data, npi=_npi(requester), identifier=identifier)
