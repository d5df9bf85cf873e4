"""The closed vocabularies of the assessment system, as its export format names them."""

from __future__ import annotations

from enum import Enum


class Cluster(str, Enum):
    CHILD_LABOUR = "CHILD_LABOUR"
    FORCED_LABOUR = "FORCED_LABOUR"
    DISCRIMINATION = "DISCRIMINATION"
    FREEDOM_OF_ASSOCIATION = "FREEDOM_OF_ASSOCIATION"
    COMPENSATION = "COMPENSATION"
    CONTRACTS_AND_HUMAN_RESOURCES = "CONTRACTS_AND_HUMAN_RESOURCES"
    OCCUPATIONAL_SAFETY_AND_HEALTH = "OCCUPATIONAL_SAFETY_AND_HEALTH"
    WORKING_TIME = "WORKING_TIME"


class FactoryType(str, Enum):
    APPAREL = "APPAREL"
    FOOTWEAR = "FOOTWEAR"
    TEXTILE = "TEXTILE"
    ACCESSORIES = "ACCESSORIES"
    OTHER = "OTHER"


class Modality(str, Enum):
    ONSITE = "ONSITE"
    VIRTUAL = "VIRTUAL"
    HYBRID = "HYBRID"


class AssessmentStatus(str, Enum):
    DRAFT = "DRAFT"
    FINALIZED = "FINALIZED"
    PUBLISHED = "PUBLISHED"


class FindingResult(str, Enum):
    COMPLIANT = "COMPLIANT"
    NON_COMPLIANT = "NON_COMPLIANT"
    NOT_ASSESSED = "NOT_ASSESSED"


class RefusalExcuse(str, Enum):
    FORCE_MAJEURE = "FORCE_MAJEURE"
    OTHER_AUDITS_SAME_DAY = "OTHER_AUDITS_SAME_DAY"


class ComplianceStatus(str, Enum):
    GREEN = "GREEN"
    NON_COMPLIANT = "NON_COMPLIANT"
