"""Clinical pick lists used by the referral form and API. Codes are ICD-10-CM G43 (migraine)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

# ICD-10-CM G43 billable codes a referring provider is likely to use, with their descriptions.
MIGRAINE_DIAGNOSES: list[tuple[str, str]] = [
    ("G43.009", "Migraine without aura, not intractable, without status migrainosus"),
    ("G43.001", "Migraine without aura, not intractable, with status migrainosus"),
    ("G43.019", "Migraine without aura, intractable, without status migrainosus"),
    ("G43.011", "Migraine without aura, intractable, with status migrainosus"),
    ("G43.109", "Migraine with aura, not intractable, without status migrainosus"),
    ("G43.101", "Migraine with aura, not intractable, with status migrainosus"),
    ("G43.119", "Migraine with aura, intractable, without status migrainosus"),
    ("G43.111", "Migraine with aura, intractable, with status migrainosus"),
    ("G43.409", "Hemiplegic migraine, not intractable, without status migrainosus"),
    ("G43.419", "Hemiplegic migraine, intractable, without status migrainosus"),
    (
        "G43.509",
        "Persistent migraine aura without cerebral infarction, not intractable, without "
        "status migrainosus",
    ),
    ("G43.709", "Chronic migraine without aura, not intractable, without status migrainosus"),
    ("G43.701", "Chronic migraine without aura, not intractable, with status migrainosus"),
    ("G43.719", "Chronic migraine without aura, intractable, without status migrainosus"),
    ("G43.711", "Chronic migraine without aura, intractable, with status migrainosus"),
    ("G43.809", "Other migraine, not intractable, without status migrainosus"),
    ("G43.819", "Other migraine, intractable, without status migrainosus"),
    ("G43.829", "Menstrual migraine, not intractable, without status migrainosus"),
    ("G43.839", "Menstrual migraine, intractable, without status migrainosus"),
    ("G43.909", "Migraine, unspecified, not intractable, without status migrainosus"),
    ("G43.919", "Migraine, unspecified, intractable, without status migrainosus"),
    ("G43.A0", "Cyclical vomiting, in migraine, not intractable"),
    ("G43.B0", "Ophthalmoplegic migraine, not intractable"),
    ("G43.C0", "Periodic headache syndromes in child or adult, not intractable"),
    ("G43.D0", "Abdominal migraine, not intractable"),
]
DIAGNOSIS_CHOICES = [(code, f"{code} · {text}") for code, text in MIGRAINE_DIAGNOSES]
DIAGNOSIS_DESCRIPTIONS = dict(MIGRAINE_DIAGNOSES)


class Preventive(models.TextChoices):
    TOPIRAMATE = "topiramate", _("Topiramate")
    PROPRANOLOL = "propranolol", _("Propranolol")
    METOPROLOL = "metoprolol", _("Metoprolol")
    AMITRIPTYLINE = "amitriptyline", _("Amitriptyline")
    NORTRIPTYLINE = "nortriptyline", _("Nortriptyline")
    VENLAFAXINE = "venlafaxine", _("Venlafaxine")
    VALPROATE = "valproate", _("Valproate / divalproex")
    CANDESARTAN = "candesartan", _("Candesartan")
    ONABOTULINUMTOXINA = "onabotulinumtoxinA", _("OnabotulinumtoxinA (Botox)")
    ERENUMAB = "erenumab", _("Erenumab")
    FREMANEZUMAB = "fremanezumab", _("Fremanezumab")
    GALCANEZUMAB = "galcanezumab", _("Galcanezumab")
    EPTINEZUMAB = "eptinezumab", _("Eptinezumab")
    ATOGEPANT = "atogepant", _("Atogepant")
    RIMEGEPANT = "rimegepant", _("Rimegepant (preventive dosing)")
    OTHER = "other", _("Other (describe below)")


class Contraindication(models.TextChoices):
    HYPERTENSION = "uncontrolled_hypertension", _("Uncontrolled hypertension")
    PREGNANCY = "pregnancy", _("Pregnancy or possible pregnancy")
    PSYCHOSIS = "psychosis", _("History of psychosis")
    SUBSTANCE_USE = (
        "substance_use",
        _("Ketamine or other substance misuse, now or in the past"),
    )
    CARDIAC = "cardiac", _("Significant cardiac disease")
    PRESSURE = "raised_pressure", _("Raised intracranial or intraocular pressure")
    LIVER = "liver", _("Significant liver disease")
    KETAMINE_REACTION = "ketamine_reaction", _("Prior reaction to ketamine")
    BREASTFEEDING = "breastfeeding", _("Breastfeeding")
    SEIZURES = "seizure_disorder", _("Seizure disorder")
    INTERACTING_MEDICATIONS = (
        "interacting_medications",
        _(
            "Takes medication that interacts with ketamine (for example benzodiazepines, "
            "opioids, lamotrigine, MAO inhibitors, theophylline)"
        ),
    )


class Urgency(models.TextChoices):
    ROUTINE = "routine", _("Routine")
    URGENT = "urgent", _("Urgent")


class Language(models.TextChoices):
    ENGLISH = "en", "English"
    SPANISH = "es", "Español"
