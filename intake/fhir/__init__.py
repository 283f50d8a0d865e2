"""FHIR R4 for EHRs: POST /fhir/ServiceRequest (a ServiceRequest with its Patient and
Practitioner contained, or a transaction Bundle) becomes a referral through ReferralForm and
referral_submit; GET /fhir/Task/{reference} reads its status as a BSeR-shaped Task, with its
history at /_history. Validated with fhir.resources' R4B models (R4-compatible; the package's
default is R5). mapping.py: ServiceRequest → form data; resources.py: Task, OperationOutcome;
views.py: the endpoints."""
