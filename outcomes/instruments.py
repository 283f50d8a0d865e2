"""The instruments patients answer: a small registry of data (questions in English and Spanish,
recall window, bounds, scoring function, citation). A clinic holding a licence for another
instrument (HIT-6 is licensed) adds an entry here with its own scoring function and tests; the
portal ships MIDAS (free to use with attribution) and the daily headache diary.

Scores are always computed here, on the server, from the answers: a page or API never sends one.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from django.utils.translation import gettext_lazy as _

from clinic.errors import ApplicationError


@dataclass(frozen=True)
class Question:
    key: str
    text_en: str
    text_es: str
    minimum: int
    maximum: int

    def text(self, language: str) -> str:
        return self.text_es if language == "es" else self.text_en


@dataclass(frozen=True)
class Score:
    total: int
    grade: str  # "I" to "IV" for MIDAS; "" when an instrument has no grade


@dataclass(frozen=True)
class Instrument:
    key: str
    name: str
    recall_days: int
    questions: tuple[Question, ...]
    score: Callable[[Mapping[str, int]], Score]
    citation: str
    grade_labels: Mapping[str, object]

    def clean(self, raw: Mapping[str, object]) -> dict[str, int]:
        """Whole numbers within each question's bounds, one per question, from what a form or
        the API sent. Raises ApplicationError naming the first bad field; nothing else is read."""
        if not isinstance(raw, Mapping):
            raise ApplicationError(_("Answer every question."))
        answers = {}
        for question in self.questions:
            answers[question.key] = _whole_number(raw.get(question.key), question)
        return answers


def _whole_number(value: object, question: Question) -> int:
    message = _("Enter a whole number from %(low)s to %(high)s.") % {
        "low": question.minimum,
        "high": question.maximum,
    }
    if isinstance(value, bool):
        raise ApplicationError(message, field=question.key)
    if isinstance(value, int):
        number = value
    elif isinstance(value, str):
        text = value.strip()
        # ASCII digits only: int() would read "١٢٣" (Arabic-Indic digits) as 123, which a
        # patient typing in a form did not mean to send us.
        if not text or len(text) > 3 or not text.isascii() or not text.isdigit():
            raise ApplicationError(message, field=question.key)
        number = int(text)
    else:
        raise ApplicationError(message, field=question.key)
    if not question.minimum <= number <= question.maximum:
        raise ApplicationError(message, field=question.key)
    return number


# --- MIDAS ------------------------------------------------------------------------------------

MIDAS_CITATION = (
    "Stewart WF, Lipton RB, Dowson AJ, Sawyer J. Development and testing of the Migraine "
    "Disability Assessment (MIDAS) Questionnaire to assess headache-related disability. "
    "Neurology 2001;56(6 Suppl 1):S20-S28. Grades: Lipton RB, Stewart WF, Sawyer J, Edmeads "
    "JG. Clinical utility of an instrument assessing migraine disability: the Migraine "
    "Disability Assessment (MIDAS) questionnaire. Headache 2001;41(9):854-861. MIDAS "
    "questionnaire (c) Innovative Medical Research 1997; scoring: the sum of questions 1-5 "
    "(days in the last 3 months); grade I 0-5 (little or no disability), II 6-10 (mild), III "
    "11-20 (moderate), IV 21 or more (severe)."
)

# The five scored questions of the MIDAS questionnaire (questions A and B, headache days and
# pain, are not part of the score and are collected by the diary instead). Each is a number of
# days in the last 3 months, so 0 to 90.
MIDAS_QUESTIONS = (
    Question(
        "missed_work",
        "On how many days in the last 3 months did you miss work or school because of your "
        "headaches?",
        "¿Cuántos días en los últimos 3 meses faltó al trabajo o a la escuela por sus dolores "
        "de cabeza?",
        0,
        90,
    ),
    Question(
        "reduced_work",
        "How many days in the last 3 months was your productivity at work or school reduced by "
        "half or more because of your headaches? (Do not include days you counted in the first "
        "question.)",
        "¿Cuántos días en los últimos 3 meses su productividad en el trabajo o la escuela se "
        "redujo a la mitad o más por sus dolores de cabeza? (No cuente los días de la primera "
        "pregunta.)",
        0,
        90,
    ),
    Question(
        "missed_housework",
        "On how many days in the last 3 months did you not do household work because of your "
        "headaches?",
        "¿Cuántos días en los últimos 3 meses no hizo las tareas de la casa por sus dolores de "
        "cabeza?",
        0,
        90,
    ),
    Question(
        "reduced_housework",
        "How many days in the last 3 months was your productivity in household work reduced by "
        "half or more because of your headaches? (Do not include days you counted in the "
        "previous question.)",
        "¿Cuántos días en los últimos 3 meses su productividad en las tareas de la casa se "
        "redujo a la mitad o más por sus dolores de cabeza? (No cuente los días de la pregunta "
        "anterior.)",
        0,
        90,
    ),
    Question(
        "missed_social",
        "On how many days in the last 3 months did you miss family, social or leisure "
        "activities because of your headaches?",
        "¿Cuántos días en los últimos 3 meses se perdió actividades familiares, sociales o de "
        "ocio por sus dolores de cabeza?",
        0,
        90,
    ),
)


def midas_grade(total: int) -> str:
    if total <= 5:
        return "I"
    if total <= 10:
        return "II"
    if total <= 20:
        return "III"
    return "IV"


def midas_score(answers: Mapping[str, int]) -> Score:
    total = sum(answers[q.key] for q in MIDAS_QUESTIONS)
    return Score(total=total, grade=midas_grade(total))


MIDAS = Instrument(
    key="midas",
    name="MIDAS",
    recall_days=90,
    questions=MIDAS_QUESTIONS,
    score=midas_score,
    citation=MIDAS_CITATION,
    grade_labels={
        "I": _("Grade I: little or no disability"),
        "II": _("Grade II: mild disability"),
        "III": _("Grade III: moderate disability"),
        "IV": _("Grade IV: severe disability"),
    },
)

REGISTRY: dict[str, Instrument] = {MIDAS.key: MIDAS}


def instrument(key: str) -> Instrument:
    try:
        return REGISTRY[key]
    except KeyError as exc:
        raise ApplicationError(_("There is no such questionnaire.")) from exc
