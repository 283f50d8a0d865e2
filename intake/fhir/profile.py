"""The referral's FHIR profile: where each field of ReferralForm is in a ServiceRequest. What
FHIR has no element for (the headache history, the contraindication screen, the patient's
consent to be contacted) travels in extensions whose URLs are named here."""

CANONICAL = "http://clinic-portal.example/fhir"
EXT = f"{CANONICAL}/StructureDefinition/"
EXT_CONTACT_CONSENT = EXT + "contact-consent"  # valueBoolean
EXT_HEADACHE_DAYS = EXT + "headache-days-per-month"  # valueInteger
EXT_YEARS = EXT + "years-with-migraine"  # valueInteger
EXT_PREVENTIVE = EXT + "preventive-tried"  # valueCode, repeated
EXT_PREVENTIVE_OTHER = EXT + "preventive-other"  # valueString
EXT_CONTRAINDICATION = EXT + "contraindication"  # valueCode, repeated; "none" = screened, none
EXT_MEDICATIONS = EXT + "current-medications"  # valueString
EXT_BLOOD_PRESSURE = EXT + "blood-pressure"  # valueString, as 128/82
CS_LOCATION = f"{CANONICAL}/CodeSystem/location"  # locationCode: the location's slug
CS_REFERRAL_STATUS = f"{CANONICAL}/CodeSystem/referral-status"  # Task.businessStatus
SYSTEM_ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
SYSTEM_NPI = "http://hl7.org/fhir/sid/us-npi"
SYSTEM_REFERENCE = f"{CANONICAL}/referral-reference"

# Where a ReferralForm field comes from, for the OperationOutcome's expression.
FIELD_PATHS = {
    "patient_first_name": "Patient.name.given",
    "patient_last_name": "Patient.name.family",
    "date_of_birth": "Patient.birthDate",
    "sex": "Patient.gender",
    "mobile_phone": "Patient.telecom",
    "email": "Patient.telecom",
    "preferred_language": "Patient.communication",
    "zip_code": "Patient.address.postalCode",
    "preferred_location": "ServiceRequest.locationCode",
    "contact_consent": f"ServiceRequest.extension('{EXT_CONTACT_CONSENT}')",
    "diagnosis_code": "ServiceRequest.reasonCode",
    "headache_days_per_month": f"ServiceRequest.extension('{EXT_HEADACHE_DAYS}')",
    "years_with_migraine": f"ServiceRequest.extension('{EXT_YEARS}')",
    "preventives_tried": f"ServiceRequest.extension('{EXT_PREVENTIVE}')",
    "preventives_other": f"ServiceRequest.extension('{EXT_PREVENTIVE_OTHER}')",
    "current_medications": f"ServiceRequest.extension('{EXT_MEDICATIONS}')",
    "blood_pressure": f"ServiceRequest.extension('{EXT_BLOOD_PRESSURE}')",
    "contraindications": f"ServiceRequest.extension('{EXT_CONTRAINDICATION}')",
    "no_contraindications": f"ServiceRequest.extension('{EXT_CONTRAINDICATION}')",
    "recommended_infusions": "ServiceRequest.quantityQuantity.value",
    "urgency": "ServiceRequest.priority",
    "notes": "ServiceRequest.note",
}
