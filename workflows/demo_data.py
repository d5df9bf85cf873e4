"""Deterministic demo data in the assessment-export format (`assessment-export/1`).

`generate_demo` builds a list of export documents that, imported in list order (each in its own
transaction), fill an empty portal with a realistic but entirely fictional programme: the
question catalogue, seven country programmes, factories with one to four yearly cycles,
assessments with findings for every question, refusals, and finally a few corrections of
already-published findings.

Everything is drawn from `random.Random` instances seeded from the `seed` argument, and every
date is computed relative to `as_of`, so the same arguments always give byte-identical
documents (`json.dumps(..., sort_keys=True)`). Factory `i` draws from its own generator
(seeded from `seed` and `i`), so a smaller demo is a prefix of a bigger one with the same seed.

Documents share their finding dicts (one per question and result) to keep 1.2 million findings
cheap: treat the documents as read-only.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any, NamedTuple

FORMAT = "assessment-export/1"


@dataclass(frozen=True)
class DemoExport:
    document: dict  # one assessment-export/1 document (valid against the schema)
    correction_reason: str | None = None  # set on documents that correct already-published findings


# ---------------------------------------------------------------------------------------------
# The question catalogue
# ---------------------------------------------------------------------------------------------
#
# Each cluster has hand-written questions first (every one that any country reports publicly is
# among them, with a description), then questions built from topic phrases: a subject and the
# predicates that make sense for it. Ids are the cluster prefix and the position in the cluster,
# so they never change as long as the tables only grow at the end.
#
# A hand-written question is (key, English title, English description, non-compliance rate);
# the rate is the chance an average factory is found non-compliant in its first cycle.

CHILD_LABOUR_QUESTIONS = (
    ("child_unremediated", "No unremediated child labour",
     "Any child found working has been removed from work and placed in a remediation programme at the "
     "employer's expense, as the programme's child labour protocol requires.", 0.006),
    ("min_age_14", "No workers under the legal minimum age of 14",
     "No worker is younger than 14, the minimum age for employment set by national law; ages are "
     "verified against identity documents at hiring.", 0.015),
    ("min_age_15", "No workers under the legal minimum age of 15",
     "No worker is younger than 15, the minimum age for employment set by national law; ages are "
     "verified against identity documents at hiring.", 0.012),
    ("min_age_16", "No workers under the legal minimum age of 16",
     "No worker is younger than 16, the minimum age for employment set by national law; ages are "
     "verified against identity documents at hiring.", 0.01),
    ("young_hazardous", "No workers under 18 in hazardous work",
     "Workers younger than 18 are not assigned to work that is dangerous to their health or safety, "
     "such as handling chemicals, operating boilers or working at night.", 0.025),
)
CHILD_LABOUR_TOPICS = (
    ("Young workers (under 18)", (
        "are listed in a register of young workers",
        "do not work at night",
        "do not work overtime",
        "have their working hours limited as required by law",
    )),
    ("Age records", (
        "are checked against identity documents at hiring",
        "are kept on file for every worker",
    )),
    ("Apprenticeships for young workers", ("follow the legal requirements",)),
    ("Children of workers", ("are not allowed in production areas",)),
)

FORCED_LABOUR_QUESTIONS = (
    ("forced_movement", "No forced labour (freedom of movement)",
     "Workers are free to leave the workplace at the end of their shift and are not confined to the "
     "factory or its dormitories.", 0.006),
    ("bonded", "No bonded labour or recruitment debt",
     "No worker is made to work off a debt owed to the employer or to a recruitment agent.", 0.015),
    ("free_resign", "Workers are free to resign with legal notice",
     "Workers who give the notice the law requires can leave their job without losing earned wages or "
     "paying a penalty.", 0.03),
    ("forced_overtime", "No forced overtime",
     "Overtime is voluntary: workers who refuse it are not threatened, fined, dismissed or denied other "
     "benefits.", 0.05),
    ("migrant_passports", "Migrant workers keep their own passports",
     "The employer does not hold migrant workers' passports or other identity documents against their "
     "will; workers can access them at any time.", 0.06),
    ("recruitment_fees", "No recruitment fees charged to migrant workers",
     "Migrant workers did not pay recruitment fees or related costs to get their job, either to the "
     "employer or to a recruitment agency.", 0.08),
    ("prison_labour", "No prison labour",
     "The factory does not use prison labour, directly or through subcontractors.", 0.002),
)
FORCED_LABOUR_TOPICS = (
    ("Wages", (
        "are not withheld to keep workers from leaving",
        "are not paid as deferred lump sums that tie workers to the factory",
    )),
    ("Deposits", ("are not required from workers as a condition of employment",)),
    ("Security guards", (
        "do not restrict workers' movement during breaks",
        "do not search workers in a degrading way",
    )),
    ("Workers living in employer housing", ("can come and go outside working hours",)),
    ("Wage advances", ("are repaid on terms that do not tie workers to the factory",)),
)

DISCRIMINATION_QUESTIONS = (
    ("discrimination", "No discrimination against workers",
     "Recruitment, pay, promotion, training and dismissal are free of discrimination based on race, "
     "colour, sex, religion, political opinion, national or social origin and other grounds.", 0.04),
    ("pregnant_dismissal", "No dismissal of pregnant workers",
     "No worker has been dismissed, or had her contract not renewed, because she is pregnant.", 0.02),
    ("maternity_dismissal", "No dismissal of workers during maternity leave",
     "No worker has been dismissed while on maternity leave.", 0.012),
    ("harassment", "No sexual harassment",
     "Workers are not subjected to sexual harassment by managers, supervisors or co-workers, and "
     "complaints are handled through a confidential procedure.", 0.05),
    ("equal_pay", "Equal pay for men and women",
     "Men and women doing work of equal value receive equal pay and benefits.", 0.03),
    ("pregnancy_tests", "No pregnancy testing at recruitment or during employment",
     "Applicants and workers are not required to take pregnancy tests or to use contraception.", 0.05),
    ("hiv_status", "No discrimination based on HIV/AIDS status",
     "Workers are not tested for HIV without consent and are not refused work or dismissed because of "
     "their HIV/AIDS status.", 0.008),
)
DISCRIMINATION_TOPICS = (
    ("Hiring decisions", (
        "are free of discrimination based on gender",
        "are free of discrimination based on age",
        "are free of discrimination based on religion",
        "are free of discrimination based on ethnicity or national origin",
        "are free of discrimination based on political opinion",
        "are free of discrimination based on disability",
    )),
    ("Pay and benefits", (
        "are free of discrimination based on religion or ethnicity",
        "are the same for migrant and local workers doing the same work",
    )),
    ("Promotion and training decisions", (
        "are free of discrimination based on gender",
        "are free of discrimination based on ethnicity or national origin",
    )),
    ("Dismissal decisions", (
        "are free of discrimination based on gender",
        "are free of discrimination based on age",
        "are free of discrimination based on religion or political opinion",
    )),
    ("Workers with disabilities", ("have reasonable accommodation at their workstations",)),
    ("The workplace", (
        "is free of physical abuse",
        "is free of verbal abuse and threats",
        "has a written anti-harassment policy",
    )),
    ("Complaints of harassment", ("are handled through a confidential procedure",)),
    ("Pregnant workers", ("are not given hazardous tasks",)),
)

FREEDOM_OF_ASSOCIATION_QUESTIONS = (
    ("union_discrimination", "No discrimination against workers based on union membership",
     "Workers are not refused work, demoted, transferred or dismissed because they are union members "
     "or take part in union activities.", 0.03),
    ("join_form", "Workers join and form unions freely",
     "Workers can form and join the union of their choice without prior authorisation from the "
     "employer.", 0.03),
    ("union_control", "No control of union by employer",
     "The employer does not control, finance or dominate a union.", 0.02),
    ("union_dependent", "Job is not dependent on union membership",
     "Hiring, keeping a job or getting a benefit does not depend on joining, or not joining, a "
     "particular union.", 0.01),
    ("union_interference", "No management interference with union",
     "Managers do not interfere with the union's meetings, elections, finances or activities.", 0.04),
    ("free_not_join", "Workers are free not to join union",
     "No worker is pressured to join a union or to pay union dues against their will.", 0.01),
    ("bargaining", "Employer bargains collectively in good faith",
     "The employer negotiates with representative unions, shares the information needed to bargain and "
     "makes real efforts to reach an agreement.", 0.04),
    ("cba_respected", "Collective agreement terms are respected",
     "Wages, benefits and conditions agreed in the collective agreement are applied to all workers it "
     "covers.", 0.05),
    ("strikes", "No penalties for workers who take part in lawful strikes",
     "Workers who take part in a strike that follows the legal procedure are not dismissed, fined or "
     "otherwise penalised.", 0.02),
    ("participation_committee", "Participation committee is elected and functioning",
     "Workers have elected their representatives to the participation committee required by law, and "
     "the committee meets regularly with management.", 0.12),
    ("union_dues", "Union dues deducted only with workers' consent",
     "Union dues are deducted from wages only for workers who agreed in writing, and are passed on to "
     "the union.", 0.03),
)
FREEDOM_OF_ASSOCIATION_TOPICS = (
    ("Union representatives", (
        "are given paid time off for union duties as required by law",
        "have access to the workplace to meet workers",
        "are not transferred or demoted because of union activity",
        "are protected from dismissal during their term",
    )),
    ("Worker representatives", (
        "are elected by workers without management involvement",
        "are consulted before collective dismissals",
    )),
    ("Union meetings", (
        "can be held without management present",
        "are not monitored or recorded by management",
    )),
    ("Labour disputes", (
        "are settled through the legal procedure",
        "are not settled by dismissing union members",
    )),
    ("Collective agreements", (
        "are posted where workers can read them",
        "are registered with the labour authority",
    )),
    ("Management", (
        "does not offer benefits to discourage union membership",
        "does not favour one union over another",
        "does not keep lists of union members to refuse them work",
    )),
)

COMPENSATION_QUESTIONS = (
    ("min_wage", "Correctly paid minimum wages",
     "Every worker, including probationary, piece-rate and casual workers, is paid at least the legal "
     "minimum wage for ordinary hours.", 0.09),
    ("ot_wages", "Correctly paid overtime wages (ordinary overtime hours)",
     "Overtime hours worked on ordinary working days are paid at the premium rate set by law.", 0.18),
    ("wages_on_time", "Wages paid in full and on time",
     "Wages are paid in full, in legal tender or by bank transfer, no later than the date the law "
     "requires.", 0.07),
    ("social_security", "Social security contributions paid for all workers",
     "The employer registers every worker with the social security scheme and pays the full "
     "contributions on time.", 0.12),
    ("deductions", "No unauthorised deductions from wages",
     "Only deductions allowed by law or agreed in writing by the worker are made from wages.", 0.06),
    ("leave_pay", "Paid annual leave and public holidays paid correctly",
     "Days of annual leave and public holidays are paid at the worker's full rate, including regular "
     "allowances.", 0.09),
    ("piece_rate_ht", "Piece-rate workers earn at least the legal minimum wage",
     "Production targets are set so that piece-rate workers earn at least the daily minimum wage for "
     "the garment sector within ordinary hours.", 0.2),
    ("thr_id", "Religious holiday allowance (THR) paid in full and on time",
     "The religious holiday allowance (Tunjangan Hari Raya) is paid in full to every eligible worker, "
     "at least seven days before the holiday.", 0.08),
    ("christmas_bonus_ni", "Thirteenth-month (Christmas) bonus paid correctly",
     "The thirteenth-month salary is paid in full to every worker, proportionally for those employed "
     "less than a year, within the legal deadline.", 0.06),
    ("maternity_benefit_bd", "Maternity benefits paid for 16 weeks",
     "Workers entitled to maternity benefit receive full pay for eight weeks before and eight weeks "
     "after childbirth.", 0.08),
    ("insurance_vn", "Social, health and unemployment insurance paid for all workers",
     "The employer pays social, health and unemployment insurance contributions for every worker with "
     "a contract of one month or more.", 0.12),
    ("night_premium", "Correctly paid night work premium",
     "Hours worked at night are paid with the premium set by law or by the collective agreement.", 0.08),
)
COMPENSATION_TOPICS = (
    ("Payslips", (
        "show hours worked, rates and every deduction",
        "are given to workers every pay period",
        "are in a language workers understand",
    )),
    ("Wage records", ("are accurate and kept for the legal period",)),
    ("Attendance bonuses", ("are calculated correctly", "are paid in full and on time")),
    ("Seniority allowances", ("are calculated correctly", "are paid in full and on time")),
    ("Transport allowances", ("are calculated correctly", "are paid in full and on time")),
    ("Meal allowances", ("are calculated correctly", "are paid in full and on time")),
    ("Housing allowances", ("are calculated correctly", "are paid in full and on time")),
    ("Production bonuses", ("are calculated correctly", "are paid in full and on time")),
    ("Severance payments", ("are calculated correctly", "are paid in full and on time")),
    ("Final wage payments to departing workers", ("are calculated correctly", "are paid in full and on time")),
    ("Sick-leave wages", ("are calculated correctly", "are paid in full and on time")),
    ("Maternity-leave wages", ("are calculated correctly", "are paid in full and on time")),
    ("Wages during temporary suspension of work", ("are calculated correctly", "are paid in full and on time")),
    ("Wages of probationary workers", ("are at least the legal minimum wage",)),
)

CONTRACTS_QUESTIONS = (
    ("bonuses_period", "Bonuses, allowances, leaves count entire employment period",
     "Seniority, annual leave and other benefits are calculated on the worker's whole period of "
     "employment, without breaks created by successive short contracts.", 0.05),
    ("written_contracts", "Written employment contracts for all workers",
     "Every worker has a written contract that complies with the law, signed before work begins.", 0.07),
    ("fixed_term", "Fixed-term contracts used only as the law allows",
     "Fixed-term contracts are used only for the purposes and durations the law allows, and are not "
     "renewed to avoid permanent employment.", 0.1),
    ("pkwt_id", "Fixed-term contracts (PKWT) used only for work that is temporary by nature",
     "Fixed-term employment agreements (PKWT) are used only for work that is temporary, seasonal or "
     "new, and within the legal maximum duration.", 0.15),
    ("dismissal_procedure", "Dismissals follow the legal procedure",
     "Workers are dismissed only for valid reasons, with the notice, hearing and documentation the law "
     "requires.", 0.06),
    ("probation", "Probation periods within legal limits",
     "Probation periods do not exceed the legal maximum and are not repeated for the same worker.", 0.05),
    ("work_permits_jo", "Work permits for migrant workers paid for by the employer",
     "The employer obtains and pays for valid work and residence permits for every migrant worker.", 0.07),
    ("grievance", "Workers have a working grievance procedure",
     "Workers can raise complaints through a known procedure, and complaints are answered.", 0.09),
)
CONTRACTS_TOPICS = (
    ("Employment contracts", (
        "state wages, hours and job duties",
        "are signed before work begins",
        "are given to workers in a copy they can keep",
        "are written in a language workers understand",
    )),
    ("Internal work rules", (
        "are approved by the labour authority",
        "are posted where workers can read them",
        "were drawn up after consulting worker representatives",
    )),
    ("Disciplinary measures", (
        "follow the internal work rules",
        "do not include fines or wage deductions",
        "are recorded and explained to the worker",
    )),
    ("Personnel files", ("are kept for every worker", "are kept confidential")),
    ("Termination notices", (
        "are given within the legal notice period",
        "state the reasons for dismissal",
    )),
    ("Collective dismissals", ("follow the legal consultation procedure",)),
    ("Temporary agency workers", (
        "receive the same legal protections as direct employees",
        "are not used to replace striking workers",
    )),
    ("Homeworkers and subcontracted workers", ("are employed under terms that meet the law",)),
    ("Induction training", (
        "covers workers' rights and the internal work rules",
        "is counted as paid working time",
    )),
    ("Worker-management dialogue", ("takes place in a bipartite committee that meets regularly",)),
    ("Workers", (
        "are told in writing of any change in their terms of employment",
        "can raise grievances without fear of retaliation",
        "receive a certificate of employment when they leave",
    )),
    ("Suspensions of work", ("follow the legal procedure",)),
    ("Resignations", ("are accepted without penalty when legal notice is given",)),
    ("Job descriptions", ("are given to workers in writing",)),
)

OSH_QUESTIONS = (
    ("drills", "Regular emergency evacuation drills (every 6 months)",
     "All workers on all shifts take part in an evacuation drill at least every six months, and drills "
     "are recorded.", 0.2),
    ("exits_unlocked", "Emergency exit doors are unlocked during working hours",
     "Every emergency exit door can be opened from the inside without a key while anyone is at work.", 0.1),
    ("exits_sufficient", "Emergency exit doors are sufficient",
     "There are enough emergency exits, of sufficient width and opening outwards, for the number of "
     "workers on each floor.", 0.1),
    ("machine_guards", "Dangerous machine parts have safety guards (not needle guards)",
     "Belts, pulleys, gears and other moving parts that could injure workers are fitted with guards; "
     "needle guards on sewing machines are assessed separately.", 0.22),
    ("drinking_water", "Clean and sufficient drinking water",
     "Safe, clean drinking water is freely available to all workers close to their work areas.", 0.07),
    ("chemicals", "Chemicals and hazardous substances are labelled and stored safely",
     "Containers of chemicals are labelled in a language workers understand and are stored in a "
     "ventilated area away from ignition sources.", 0.28),
    ("ppe", "Workers are given and use suitable personal protective equipment",
     "The employer provides, free of charge, the protective equipment each job needs, and workers are "
     "trained to use it.", 0.26),
    ("fire_fighting", "Fire-fighting equipment is sufficient and maintained",
     "Fire extinguishers, hoses and alarms are sufficient for the premises, inspected and in working "
     "order.", 0.14),
    ("electrical", "Electrical installations are safe and inspected",
     "Wiring, panels and equipment are insulated, earthed and inspected by a qualified electrician.", 0.17),
    ("structural_bd", "Building structure certified safe by a qualified engineer",
     "The factory building has a valid structural safety certificate, and floor loads stay within its "
     "design limits.", 0.08),
    ("safety_committee_bd", "Safety committee is formed and functioning",
     "A safety committee with elected worker members has been formed as the law requires and meets "
     "regularly.", 0.1),
    ("dormitories_jo", "Worker dormitories meet safety and hygiene standards",
     "Dormitories provided by the employer have fire exits, enough space, sanitation and clean water.", 0.2),
    ("first_aid", "First-aid supplies and trained first-aiders are available",
     "Stocked first-aid kits and trained first-aiders are available on every floor and every shift.", 0.14),
    ("toilets", "Sufficient, clean toilets",
     "There are enough clean toilets, separate for men and women, for the number of workers.", 0.08),
    ("heat_ventilation", "Workplace temperature and ventilation are acceptable",
     "Work areas are ventilated and kept at a temperature that is safe for the work done.", 0.22),
    ("routes_marked", "Exits and evacuation routes are marked and unobstructed",
     "Evacuation routes and exits are signposted, lit and kept free of goods and materials.", 0.14),
)
OSH_TOPICS = (
    ("Safety data sheets", (
        "are available for every chemical used",
        "are in a language workers understand",
    )),
    ("Chemical storage areas", (
        "are ventilated and have spill containment",
        "are locked and accessible only to trained workers",
    )),
    ("Eye-wash stations", ("are available where chemicals are handled",)),
    ("Boilers and pressure vessels", (
        "are inspected by a licensed inspector",
        "are operated by certified workers",
    )),
    ("Generators and fuel stores", ("are separated from work areas",)),
    ("Electrical panels", (
        "are covered, labelled and kept clear",
        "are maintained by qualified electricians",
    )),
    ("Wiring and cables", ("are insulated and not overloaded",)),
    ("Fire alarms", (
        "are installed and audible in all work areas",
        "are tested regularly",
    )),
    ("Fire extinguishers", (
        "are inspected and refilled on schedule",
        "are mounted and unobstructed",
    )),
    ("Evacuation plans", (
        "are posted in every work area",
        "show the assembly point",
    )),
    ("Emergency lighting", ("works during power cuts",)),
    ("Stairways", ("are kept clear and have handrails",)),
    ("Aisles and walkways", ("are marked and kept clear of materials",)),
    ("Fire wardens", ("are appointed and trained on every floor",)),
    ("Sewing machines", ("have needle guards and pulley covers",)),
    ("Cutting machines", ("have hand guards, and cutters wear cut-resistant gloves",)),
    ("Machines", (
        "are maintained and inspected regularly",
        "have emergency stop buttons within reach",
        "are locked out during maintenance",
    )),
    ("Forklifts and hoists", (
        "are operated only by licensed operators",
        "are inspected regularly",
    )),
    ("Noise levels", ("are measured, and hearing protection is provided where needed",)),
    ("Lighting", ("is sufficient for the work done",)),
    ("Dust and fibre levels", ("are controlled by ventilation",)),
    ("Work areas", ("are clean and tidy", "are not overcrowded")),
    ("Workstations", (
        "allow workers to change posture",
        "have seats with backrests where work is done seated",
    )),
    ("Manual lifting", ("stays within safe weight limits",)),
    ("Toilets", (
        "are separate for men and women",
        "can be used during working hours without restriction",
    )),
    ("Hand-washing stations", ("have soap and running water",)),
    ("Canteens and eating areas", ("are clean and separate from work areas",)),
    ("Breastfeeding rooms", ("are provided as required by law",)),
    ("Childcare facilities", ("are provided as required by law",)),
    ("Medical staff", ("are available as required by law",)),
    ("Workplace accidents", (
        "are recorded and reported to the authorities",
        "are investigated to prevent recurrence",
    )),
    ("Occupational illnesses", ("are recorded and reported to the authorities",)),
    ("Health checks", ("are provided to workers at hiring and periodically",)),
    ("Workers", (
        "are trained on the hazards of their jobs",
        "are insured against workplace injury",
        "can stop work in imminent danger without penalty",
    )),
    ("The occupational safety and health policy", ("is written and communicated to workers",)),
    ("The workplace risk assessment", ("covers every work area and is kept up to date",)),
    ("Dormitories provided by the employer", ("have fire exits and fire extinguishers",)),
    ("Drinking water", ("is tested for safety regularly",)),
    ("Building extensions", ("have the required construction permits",)),
    ("Floor loads", ("stay within the building's design limits",)),
    ("Pest control", ("is carried out in work and eating areas",)),
)

WORKING_TIME_QUESTIONS = (
    ("ot_limits", "Overtime within legal limits",
     "Daily, weekly and annual overtime stay within the limits set by national law.", 0.45),
    ("ot_limits_vn", "Overtime within the annual limit of 300 hours",
     "Overtime stays within 300 hours a year, the limit the law allows for textile and garment "
     "production, and within the monthly limit.", 0.4),
    ("weekly_rest", "Workers get at least one day off per week",
     "Every worker has at least 24 consecutive hours of rest each week.", 0.14),
    ("regular_hours", "Regular working hours within legal limits",
     "Ordinary working hours do not exceed the daily and weekly limits set by law.", 0.07),
    ("annual_leave", "Paid annual leave granted",
     "Workers receive the paid annual leave the law gives them and can take it.", 0.09),
    ("time_records", "Working time records are accurate",
     "Records of hours worked, including overtime, are accurate and match what workers report.", 0.12),
    ("maternity_leave", "Maternity leave granted as required by law",
     "Workers receive the full maternity leave the law provides.", 0.03),
    ("public_holidays", "Public holidays granted as required by law",
     "Workers are given the public holidays set by law, or compensated as the law requires.", 0.06),
)
WORKING_TIME_TOPICS = (
    ("Overtime", (
        "is requested in advance and recorded",
        "is approved by the labour authority where the law requires it",
        "stays within the daily legal limit",
    )),
    ("Breaks", (
        "are given for meals at the legal length",
        "are given to nursing mothers during working hours",
    )),
    ("Night work", (
        "is limited as required by law",
        "is done only with the legal authorisations",
    )),
    ("Shift schedules", ("are posted in advance",)),
    ("Time cards", (
        "are punched by workers themselves",
        "match the payroll records",
    )),
    ("Sick leave", ("is granted as required by law",)),
    ("Special leave (marriage, bereavement)", ("is granted as required by law",)),
    ("Working hours of young workers", ("stay within the legal limits",)),
    ("Compensatory rest", ("is given after work on weekly rest days",)),
    ("Annual leave", ("can be taken at a time agreed with the worker",)),
    ("Work on public holidays", ("is voluntary and compensated as the law requires",)),
)


class ClusterSpec(NamedTuple):
    cluster: str
    prefix: str
    questions: tuple  # hand-written (key, title, description, rate)
    topics: tuple  # (subject, predicates) for the templated rest
    topic_rate: float  # typical non-compliance rate of the templated questions


CLUSTERS = (
    ClusterSpec("CHILD_LABOUR", "CHI", CHILD_LABOUR_QUESTIONS, CHILD_LABOUR_TOPICS, 0.015),
    ClusterSpec("FORCED_LABOUR", "FOL", FORCED_LABOUR_QUESTIONS, FORCED_LABOUR_TOPICS, 0.015),
    ClusterSpec("DISCRIMINATION", "DIS", DISCRIMINATION_QUESTIONS, DISCRIMINATION_TOPICS, 0.03),
    ClusterSpec("FREEDOM_OF_ASSOCIATION", "FOA", FREEDOM_OF_ASSOCIATION_QUESTIONS,
                FREEDOM_OF_ASSOCIATION_TOPICS, 0.04),
    ClusterSpec("COMPENSATION", "COM", COMPENSATION_QUESTIONS, COMPENSATION_TOPICS, 0.07),
    ClusterSpec("CONTRACTS_AND_HUMAN_RESOURCES", "CHR", CONTRACTS_QUESTIONS, CONTRACTS_TOPICS, 0.08),
    ClusterSpec("OCCUPATIONAL_SAFETY_AND_HEALTH", "OSH", OSH_QUESTIONS, OSH_TOPICS, 0.14),
    ClusterSpec("WORKING_TIME", "WT", WORKING_TIME_QUESTIONS, WORKING_TIME_TOPICS, 0.1),
)

# The format carries translations; a handful of titles have French and Spanish ones (the
# languages of the Haiti and Nicaragua programmes).
TITLE_TRANSLATIONS = {
    "child_unremediated": {"fr": "Pas de travail des enfants non corrigé",
                           "es": "Ningún trabajo infantil sin remediar"},
    "min_age_14": {"fr": "Aucun travailleur n'a moins que l'âge minimum légal de 14 ans",
                   "es": "Ningún trabajador menor de la edad mínima legal de 14 años"},
    "min_age_15": {"fr": "Aucun travailleur n'a moins que l'âge minimum légal de 15 ans",
                   "es": "Ningún trabajador menor de la edad mínima legal de 15 años"},
    "forced_movement": {"fr": "Pas de travail forcé (liberté de mouvement)",
                        "es": "Ningún trabajo forzoso (libertad de movimiento)"},
    "harassment": {"fr": "Pas de harcèlement sexuel", "es": "Ningún acoso sexual"},
    "equal_pay": {"fr": "Égalité de rémunération entre hommes et femmes",
                  "es": "Igualdad de remuneración entre hombres y mujeres"},
    "join_form": {"fr": "Les travailleurs adhèrent librement à des syndicats et en créent librement",
                  "es": "Los trabajadores se afilian a sindicatos y los forman libremente"},
    "min_wage": {"fr": "Salaire minimum correctement payé", "es": "Salario mínimo pagado correctamente"},
    "exits_unlocked": {"fr": "Les portes des issues de secours sont déverrouillées pendant les heures de travail",
                       "es": "Las puertas de las salidas de emergencia no están cerradas con llave "
                             "durante la jornada laboral"},
    "drinking_water": {"fr": "Eau potable propre et en quantité suffisante",
                       "es": "Agua potable limpia y suficiente"},
    "ot_limits": {"fr": "Heures supplémentaires dans les limites légales",
                  "es": "Horas extraordinarias dentro de los límites legales"},
}


class Question(NamedTuple):
    id: str
    key: str | None  # the hand-written table's key; None for templated questions
    cluster: str
    title: str
    description: str | None
    rate: float


def _templated_rate(typical: float, index: int) -> float:
    # Spread templated questions between 0.4x and 1.6x their cluster's typical rate, by position,
    # so some are common issues and some rare ones, without drawing from any random generator.
    return round(typical * (0.4 + ((index * 7) % 13) / 10), 4)


def _build_catalogue() -> tuple[Question, ...]:
    catalogue = []
    for spec in CLUSTERS:
        number = 0
        for key, title, description, rate in spec.questions:
            number += 1
            catalogue.append(Question(f"{spec.prefix}-{number}", key, spec.cluster, title, description, rate))
        for subject, predicates in spec.topics:
            for predicate in predicates:
                number += 1
                rate = _templated_rate(spec.topic_rate, number)
                catalogue.append(Question(f"{spec.prefix}-{number}", None, spec.cluster,
                                          f"{subject} {predicate}", None, rate))
    return tuple(catalogue)


QUESTIONS = _build_catalogue()
QUESTION_ID = {q.key: q.id for q in QUESTIONS if q.key is not None}


# ---------------------------------------------------------------------------------------------
# Country programmes
# ---------------------------------------------------------------------------------------------

# Cambodia's published critical issues, exactly (DOMAIN.md "Reference facts").
CAMBODIA_PUBLIC = (
    "child_unremediated", "forced_movement", "discrimination", "pregnant_dismissal", "maternity_dismissal",
    "harassment", "equal_pay", "union_discrimination", "join_form", "union_control", "union_dependent",
    "union_interference", "free_not_join", "drills", "exits_unlocked", "exits_sufficient", "machine_guards",
    "drinking_water", "min_wage", "ot_wages", "bonuses_period",
)

# What every other programme reports: the four core labour standards, wages, contracts, working
# time and safety. Each country adds its minimum-age question and its own issues.
CORE_PUBLIC = (
    "child_unremediated", "forced_movement", "bonded", "discrimination", "harassment", "pregnant_dismissal",
    "union_discrimination", "join_form", "union_interference", "bargaining", "min_wage", "ot_wages",
    "wages_on_time", "written_contracts", "dismissal_procedure", "weekly_rest", "exits_unlocked",
    "exits_sufficient", "drills", "machine_guards", "chemicals", "drinking_water",
)


class CountrySpec(NamedTuple):
    code: str
    name: str
    languages: tuple[str, ...]
    # Public reporting began on this month's first day, this many years before as_of's year:
    # Cambodia and Haiti in the middle of the demo's history (so there is data before and after,
    # as with Cambodia's 2014 start in reality), the others before the earliest demo assessment.
    reporting_since: tuple[int, int]  # (years before as_of.year, month)
    weight: float  # share of the demo's factories
    public: tuple[str, ...]  # question keys


COUNTRIES = (
    CountrySpec("BD", "Bangladesh", ("bn", "en"), (6, 1), 0.22,
                CORE_PUBLIC + ("min_age_14", "ot_limits", "structural_bd", "safety_committee_bd",
                               "participation_committee", "maternity_benefit_bd", "fire_fighting")),
    CountrySpec("KH", "Cambodia", ("km", "en"), (2, 1), 0.16, CAMBODIA_PUBLIC),
    CountrySpec("HT", "Haiti", ("fr", "ht", "en"), (2, 6), 0.04,
                CORE_PUBLIC + ("min_age_15", "ot_limits", "piece_rate_ht", "social_security", "equal_pay")),
    CountrySpec("ID", "Indonesia", ("id", "en"), (6, 3), 0.20,
                CORE_PUBLIC + ("min_age_15", "ot_limits", "thr_id", "pkwt_id", "social_security")),
    CountrySpec("JO", "Jordan", ("ar", "en"), (7, 9), 0.06,
                CORE_PUBLIC + ("min_age_16", "ot_limits", "migrant_passports", "recruitment_fees",
                               "work_permits_jo", "dormitories_jo", "forced_overtime")),
    CountrySpec("NI", "Nicaragua", ("es", "en"), (7, 4), 0.05,
                CORE_PUBLIC + ("min_age_14", "ot_limits", "christmas_bonus_ni", "social_security",
                               "pregnancy_tests")),
    CountrySpec("VN", "Vietnam", ("vi", "en"), (6, 10), 0.27,
                CORE_PUBLIC + ("min_age_15", "ot_limits_vn", "insurance_vn", "fire_fighting", "ppe")),
)
COUNTRY_BY_CODE = {c.code: c for c in COUNTRIES}


def _reporting_since(country: CountrySpec, as_of: date) -> date:
    years_before, month = country.reporting_since
    return date(as_of.year - years_before, month, 1)


def _public_ids(country: CountrySpec) -> list[str]:
    return [QUESTION_ID[key] for key in country.public]


# ---------------------------------------------------------------------------------------------
# Factory names: invented words, always marked "(demo)"
# ---------------------------------------------------------------------------------------------

FACTORY_TYPES = (("APPAREL", 0.70), ("FOOTWEAR", 0.10), ("TEXTILE", 0.09), ("ACCESSORIES", 0.06),
                 ("OTHER", 0.05))

NAME_ONSETS = ("Zan", "Mor", "Kel", "Vi", "Tor", "Lu", "Qua", "Bel", "Sor", "Fen", "Ari", "Dro", "Pel",
               "Xe", "Nor", "Cal", "Ves", "Ol", "Tam", "Ru", "Gri", "Hal", "Jor", "Yb")
NAME_MIDDLES = ("a", "e", "i", "o", "ar", "en", "il", "or", "u", "")
NAME_ENDINGS = ("dex", "vina", "tro", "lan", "mira", "vet", "ssa", "ton", "rix", "vale", "nor", "bis",
                "quin", "delle")

ENGLISH_SUFFIXES = {
    "APPAREL": ("Garments Ltd", "Apparel Co., Ltd", "Fashion Ltd", "Knitwear Ltd", "Sportswear Co."),
    "FOOTWEAR": ("Footwear Co., Ltd", "Shoes Ltd"),
    "TEXTILE": ("Textile Mills Ltd", "Knitting & Dyeing Ltd"),
    "ACCESSORIES": ("Accessories Ltd", "Bags & Trims Co."),
    "OTHER": ("Industries Ltd", "Manufacturing Co."),
}
INDONESIAN_WORDS = {
    "APPAREL": ("Garmen", "Busana", "Konveksi"),
    "FOOTWEAR": ("Sepatu",),
    "TEXTILE": ("Tekstil",),
    "ACCESSORIES": ("Aksesoris",),
    "OTHER": ("Industri",),
}

# Names in the country's language or script, so accent-insensitive and non-Latin search can be
# tried: (chance a factory of that country gets one, {type: prefixes}, names). A prefix with
# "{}" wraps the name; otherwise it goes in front of it.
LOCAL_NAMES = {
    "VN": (0.35,
           {"APPAREL": ("Dệt May", "May Mặc"), "TEXTILE": ("Dệt May",), "FOOTWEAR": ("Giày Da",),
            "ACCESSORIES": ("Phụ Liệu May",)},
           ("Sông Xanh", "Đồi Mây", "Biển Ngọc", "Trúc Xanh", "Phượng Hồng", "Mây Trắng", "Ánh Dương",
            "Lúa Vàng", "Sóng Bạc", "Cầu Vồng", "Hạt Ngọc", "Gió Nồm", "Đèn Lồng", "Bèo Tím")),
    "NI": (0.5,
           {"APPAREL": ("Confecciones",), "TEXTILE": ("Textiles",), "FOOTWEAR": ("Calzado",),
            "ACCESSORIES": ("Accesorios",), "OTHER": ("Industrias",)},
           ("Niño", "Río Añil", "Cañaveral", "Peñón Azul", "Colibrí", "Garza Morena", "Jícaro",
            "Montaña Dorada", "Guardabarranco", "Señora del Lago")),
    "HT": (0.5,
           {"APPAREL": ("Couture", "Confection"), "TEXTILE": ("Textiles",), "ACCESSORIES": ("Accessoires",)},
           ("Étoile du Nord", "Lumière Bleue", "Côte Dorée", "Flamboyant", "Hirondelle", "Mornes Verts",
            "Perle des Îles", "Caféier", "Frégate")),
    "BD": (0.1,
           {"APPAREL": ("{} পোশাক শিল্প",)},
           ("নীল নদী", "সোনালী তারা", "সবুজ পাতা", "রূপালী ঢেউ", "লাল শাপলা")),
    "JO": (0.15,
           {"APPAREL": ("مصنع {} للألبسة",)},
           ("النسيم", "الواحة الزرقاء", "النخلة الذهبية", "الياسمين")),
}


def _invented_word(rng: random.Random) -> str:
    onset, middle, ending = rng.choice(NAME_ONSETS), rng.choice(NAME_MIDDLES), rng.choice(NAME_ENDINGS)
    if middle[:1] == onset[-1:]:
        middle = ""  # "Grii..." reads as a typo
    return (onset + middle + ending).capitalize()


def _local_name(rng: random.Random, country: str, factory_type: str) -> str | None:
    local = LOCAL_NAMES.get(country)
    if local is None:
        return None
    chance, prefixes, names = local
    if factory_type not in prefixes or rng.random() >= chance:
        return None
    prefix, name = rng.choice(prefixes[factory_type]), rng.choice(names)
    core = prefix.format(name) if "{}" in prefix else f"{prefix} {name}"
    return f"{core} (demo)"


def _latin_name(rng: random.Random, country: str, factory_type: str) -> str:
    word = _invented_word(rng)
    if country == "ID":
        return f"PT {word} {rng.choice(INDONESIAN_WORDS[factory_type])} (demo)"
    if rng.random() < 0.3:
        word = f"{word} {_invented_word(rng)}"
    return f"{word} {rng.choice(ENGLISH_SUFFIXES[factory_type])} (demo)"


def _factory_name(rng: random.Random, country: str, factory_type: str, taken: set[str]) -> str:
    # Local names come from short lists: once they are used up, fall back to invented words.
    name = _local_name(rng, country, factory_type)
    while name is None or name in taken:
        name = _latin_name(rng, country, factory_type)
    taken.add(name)
    return name


# ---------------------------------------------------------------------------------------------
# Factory histories: cycles, assessment dates, statuses
# ---------------------------------------------------------------------------------------------

# What kind of history a factory gets; the shares make about 9-10% of factories end with a single
# published assessment (not public yet) and about 3% of each kind of exit.
PROFILES = (("active", 0.915), ("draft_only", 0.015), ("exit_running", 0.035), ("exit_ended", 0.035))
ACTIVE_CYCLE_COUNTS = ((1, 0.08), (2, 0.27), (3, 0.30), (4, 0.35))
LATEST_NOT_PUBLISHED = 0.12  # an active factory's newest assessment is still a draft or finalized
SECOND_ASSESSMENT = 0.07  # a cycle sometimes holds a follow-up assessment
MODALITIES = (("ONSITE", 0.75), ("VIRTUAL", 0.15), ("HYBRID", 0.10))

LATEST_WITHIN_DAYS = 420  # latest published assessments fall within ~14 months before as_of
PUBLICATION_LAG_DAYS = (21, 56)  # published 3 to 8 weeks after the assessment


def _weighted(rng: random.Random, table: Sequence[tuple[Any, float]]) -> Any:
    values = [v for v, _ in table]
    weights = [w for _, w in table]
    return rng.choices(values, weights)[0]


def _add_years(first_of_month: date, years: int) -> date:
    # Cycles start on the first of a month, so adding years never meets 29 February.
    return first_of_month.replace(year=first_of_month.year + years)


def _month_starts(lo: date, hi: date) -> list[date]:
    months, day = [], date(lo.year, lo.month, 1)
    if day < lo:
        day = _add_months(day, 1)
    while day <= hi:
        months.append(day)
        day = _add_months(day, 1)
    return months


def _add_months(first_of_month: date, months: int) -> date:
    index = first_of_month.year * 12 + first_of_month.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def _pick_day(rng: random.Random, lo: date, hi: date) -> date:
    return lo + timedelta(days=rng.randint(0, (hi - lo).days))


def _latest_cycle(rng: random.Random, as_of: date, profile: str, published: bool) -> tuple[date, date]:
    """The start of the factory's newest cycle and the date of its newest assessment.

    The newest assessment happens 1 to 6.5 months into its cycle. Published ones need room for
    their publication date before as_of; an exit whose cycle has ended needs a cycle that ended
    before as_of; an exit whose cycle still runs needs one that has not ended yet.
    """
    day = timedelta(days=1)
    if not published:
        starts, latest = (as_of - 280 * day, as_of - 60 * day), (as_of - 75 * day, as_of - 3 * day)
    elif profile == "exit_ended":
        starts, latest = (as_of - 560 * day, as_of - 380 * day), (as_of - 540 * day, as_of - 200 * day)
    elif profile == "exit_running":
        starts, latest = (as_of - 330 * day, as_of - 90 * day), (as_of - 300 * day, as_of - 60 * day)
    else:
        starts, latest = (as_of - 600 * day, as_of - 90 * day), (as_of - LATEST_WITHIN_DAYS * day, as_of - 60 * day)
    months = _month_starts(*starts)
    while True:
        start = rng.choice(months)
        lo = max(start + 30 * day, latest[0])
        hi = min(start + 200 * day, latest[1])
        if lo <= hi:
            return start, _pick_day(rng, lo, hi)


def _cycle_dates(rng: random.Random, start: date, end: date, count: int, last: date | None) -> list[date]:
    """Dates of `count` (1 or 2) assessments in a cycle; `last` fixes the newest one if given."""
    day = timedelta(days=1)
    if last is None:
        last = _pick_day(rng, start + 30 * day, start + 200 * day)
        if count == 2:
            first = last
            last = min(end, first + rng.randint(90, 150) * day)
            return [first, last]
        return [last]
    if count == 2:
        earlier = last - rng.randint(90, 150) * day
        if earlier >= start:
            return [earlier, last]
    return [last]


class Plan(NamedTuple):
    """One assessment to generate: where it sits in the factory's history."""

    cycle: int
    date: date
    status: str
    published_on: date | None


def _history(rng: random.Random, as_of: date, profile: str) -> tuple[list[tuple[int, date, date]], list[Plan]]:
    """Cycles (number, start, end) and assessment plans, oldest first."""
    if profile == "draft_only":
        cycle_count, newest_published = 1, False
    elif profile == "active":
        cycle_count = _weighted(rng, ACTIVE_CYCLE_COUNTS)
        newest_published = cycle_count == 1 or rng.random() >= LATEST_NOT_PUBLISHED
    else:
        cycle_count, newest_published = rng.randint(2, 4), True

    latest_start, latest_date = _latest_cycle(rng, as_of, profile, newest_published)
    cycles = []
    for number in range(1, cycle_count + 1):
        start = _add_years(latest_start, number - cycle_count)
        cycles.append((number, start, _add_years(start, 1) - timedelta(days=1)))

    plans = []
    for number, start, end in cycles:
        newest = number == cycle_count
        # A single-cycle factory keeps a single assessment: it is the "not public yet" case.
        count = 2 if cycle_count > 1 and rng.random() < SECOND_ASSESSMENT else 1
        for day in _cycle_dates(rng, start, end, count, latest_date if newest else None):
            is_newest = newest and day == latest_date
            if is_newest and not newest_published:
                plans.append(Plan(number, day, rng.choice(("DRAFT", "FINALIZED")), None))
            else:
                lag = rng.randint(*PUBLICATION_LAG_DAYS)
                plans.append(Plan(number, day, "PUBLISHED", min(day + timedelta(days=lag), as_of)))
    return cycles, plans


def _exit_date(rng: random.Random, as_of: date, profile: str, cycles, plans: list[Plan]) -> date | None:
    """When an exiting factory left: after its newest publication, never after as_of.

    Some of the factories whose cycle has ended left after that cycle's end, so no cycle contains
    the exit date and the rule falls back to the cycle of the latest assessment.
    """
    if profile not in ("exit_running", "exit_ended"):
        return None
    day = timedelta(days=1)
    after = plans[-1].published_on + day
    cycle_end = cycles[-1][2]
    if profile == "exit_ended" and rng.random() < 0.3:
        return _pick_day(rng, cycle_end + day, as_of - day)
    return _pick_day(rng, after, min(cycle_end, as_of - day))


# ---------------------------------------------------------------------------------------------
# Refusals
# ---------------------------------------------------------------------------------------------

# Refusal patterns and their shares among factories that are still in the programme with a
# published assessment: two or more unexcused after the latest published assessment (highlighted),
# several of which all but one are excused, a single unexcused one, and old ones that a newer
# assessment has made irrelevant.
REFUSAL_PATTERNS = (("none", 0.84), ("highlighted", 0.05), ("excused", 0.04), ("single", 0.03), ("old", 0.04))
EXCUSES = ("FORCE_MAJEURE", "OTHER_AUDITS_SAME_DAY")


def _refusal_days(rng: random.Random, lo: date, hi: date, count: int, avoid: set[date]) -> list[date]:
    """Distinct days in [lo, hi], none in `avoid` (a refusal is keyed by factory and date)."""
    span = (hi - lo).days + 1
    candidates = [lo + timedelta(days=i) for i in range(span)]
    candidates = [d for d in candidates if d not in avoid]
    return sorted(rng.sample(candidates, min(count, len(candidates))))


def _unexcused(rng: random.Random, factory_id: str, day: date) -> dict:
    # The format allows both: an explicit null and an absent excuse mean "not excused".
    refusal = {"factory": factory_id, "date": day.isoformat()}
    if rng.random() < 0.5:
        refusal["excuse"] = None
    return refusal


def _refusals(rng: random.Random, factory_id: str, as_of: date, joined: date, plans: list[Plan]) -> list[dict]:
    published = [p for p in plans if p.status == "PUBLISHED"]
    if not published:
        return []
    pattern = _weighted(rng, REFUSAL_PATTERNS)
    day = timedelta(days=1)
    latest = published[-1].date
    assessed = {p.date for p in plans}
    if pattern == "old":
        days = _refusal_days(rng, joined + 14 * day, latest - 7 * day, rng.randint(1, 3), assessed)
        return [_unexcused(rng, factory_id, d) for d in days]
    if pattern == "none":
        return []
    count = {"highlighted": rng.randint(2, 3), "excused": rng.randint(2, 3), "single": 1}[pattern]
    days = _refusal_days(rng, latest + 7 * day, as_of, count, assessed)
    if pattern == "excused":
        # At most one stays unexcused, so the factory is not highlighted.
        plain = rng.randrange(len(days)) if rng.random() < 0.5 else None
        return [_unexcused(rng, factory_id, d) if i == plain
                else {"factory": factory_id, "date": d.isoformat(), "excuse": rng.choice(EXCUSES)}
                for i, d in enumerate(days)]
    return [_unexcused(rng, factory_id, d) for d in days]


# ---------------------------------------------------------------------------------------------
# Findings
# ---------------------------------------------------------------------------------------------

# One shared dict per question and result: 1.2 million findings would otherwise be 1.2 million
# dicts. The documents are read-only; corrections build their own changed finding.
_FINDING = {(q.id, result): {"question": q.id, "result": result}
            for q in QUESTIONS for result in ("COMPLIANT", "NON_COMPLIANT", "NOT_ASSESSED")}

IMPROVEMENT_PER_CYCLE = 0.8  # factories improve from one cycle to the next
VIRTUAL_DETECTION = 0.75  # a remote check misses some issues
# Public reporting made Cambodian factories comply more (the FAQ: +57% of factories compliant on
# the public issues): rates before and after it began, against other countries.
CAMBODIA_BEFORE_AFTER_PUBLIC_REPORTING = (2.0, 1.25)
VIRTUAL_EXTRA_QUESTIONS = (30, 60)  # questions a virtual check asks besides the public ones
# Public issues a remote check cannot see; a few virtual checks leave them not assessed.
NEEDS_SITE_VISIT = ("exits_unlocked", "exits_sufficient", "machine_guards")
VIRTUAL_SKIPS_SITE_ISSUES = 0.2


def _factory_quality(rng: random.Random) -> float:
    # A multiplier on every non-compliance rate: a long tail of poor performers and a group of
    # good ones that end up green.
    return rng.lognormvariate(0.1, 0.6)


def _virtual_questions(rng: random.Random, public: set[str]) -> tuple[set[str], set[str]]:
    """What a virtual check asks (public questions and a sample of the rest) and which public
    questions it had to leave not assessed because they need someone on site."""
    others = [q for q in QUESTIONS if q.id not in public]
    extra = {q.id for q in rng.sample(others, rng.randint(*VIRTUAL_EXTRA_QUESTIONS))}
    skipped = set()
    if rng.random() < VIRTUAL_SKIPS_SITE_ISSUES:
        skipped = {QUESTION_ID[k] for k in NEEDS_SITE_VISIT if QUESTION_ID[k] in public}
    return (public | extra) - skipped, skipped


def _findings(rng: random.Random, modality: str, multiplier: float, public: set[str]) -> list[dict]:
    """One finding per question in catalogue order; onsite and hybrid assessments answer all."""
    if modality != "VIRTUAL":
        return [_FINDING[q.id, _result(rng, q, multiplier)] for q in QUESTIONS]
    asked, skipped = _virtual_questions(rng, public)
    # A virtual check either lists what it did not ask as NOT_ASSESSED or leaves it out; the
    # public questions it skipped are always listed.
    list_unasked = rng.random() < 0.5
    findings = []
    for q in QUESTIONS:
        if q.id in asked:
            findings.append(_FINDING[q.id, _result(rng, q, multiplier * VIRTUAL_DETECTION)])
        elif list_unasked or q.id in skipped:
            findings.append(_FINDING[q.id, "NOT_ASSESSED"])
    return findings


def _result(rng: random.Random, question: Question, multiplier: float) -> str:
    return "NON_COMPLIANT" if rng.random() < min(0.9, question.rate * multiplier) else "COMPLIANT"


def _multiplier(rng: random.Random, quality: float, cycle: int, day: date, country: str, as_of: date) -> float:
    multiplier = quality * IMPROVEMENT_PER_CYCLE ** (cycle - 1) * rng.lognormvariate(0, 0.2)
    if country == "KH":
        before, after = CAMBODIA_BEFORE_AFTER_PUBLIC_REPORTING
        reporting = day >= _reporting_since(COUNTRY_BY_CODE["KH"], as_of)
        multiplier *= after if reporting else before
    return multiplier


# ---------------------------------------------------------------------------------------------
# One factory
# ---------------------------------------------------------------------------------------------


@dataclass
class FactoryData:
    factory: dict
    cycles: list[dict]
    assessments: list[dict]
    refusals: list[dict]
    public_questions: list[str] = field(default_factory=list)


def _factory(rng: random.Random, factory_id: str, country: str, name: str, factory_type: str,
             as_of: date) -> FactoryData:
    profile = _weighted(rng, PROFILES)
    cycles, plans = _history(rng, as_of, profile)
    left_on = _exit_date(rng, as_of, profile, cycles, plans)
    public_ids = _public_ids(COUNTRY_BY_CODE[country])
    public = set(public_ids)
    quality = _factory_quality(rng)

    factory = {"id": factory_id, "name": name, "type": factory_type, "country": country}
    if left_on is not None:
        factory["leftProgrammeOn"] = left_on.isoformat()
    assessments = []
    for index, plan in enumerate(plans, start=1):
        modality = _weighted(rng, MODALITIES)
        multiplier = _multiplier(rng, quality, plan.cycle, plan.date, country, as_of)
        assessment = {
            "id": f"{factory_id}-A{index}", "factory": factory_id, "cycle": plan.cycle,
            "date": plan.date.isoformat(), "modality": modality, "status": plan.status,
            "findings": _findings(rng, modality, multiplier, public),
        }
        if plan.published_on is not None:
            assessment["publishedOn"] = plan.published_on.isoformat()
        assessments.append(assessment)
    # A factory that left is not visited any more: no refusals after its exit.
    refusals = [] if left_on is not None else _refusals(rng, factory_id, as_of, cycles[0][1], plans)
    return FactoryData(
        factory=factory,
        cycles=[{"factory": factory_id, "number": n, "start": s.isoformat(), "end": e.isoformat()}
                for n, s, e in cycles],
        assessments=assessments,
        refusals=refusals,
        public_questions=public_ids,
    )


def _factories(count: int, seed: int, as_of: date) -> list[FactoryData]:
    countries = [(c.code, c.weight) for c in COUNTRIES]
    numbers = {c.code: 0 for c in COUNTRIES}
    taken: set[str] = set()
    result = []
    for index in range(count):
        # Each factory has its own generator (seeded by a string, which Random hashes with
        # SHA-512, not with the salted hash()), so factory i does not depend on the total.
        rng = random.Random(f"{seed}/factory/{index}")
        country = _weighted(rng, countries)
        numbers[country] += 1
        factory_type = _weighted(rng, FACTORY_TYPES)
        name = _factory_name(rng, country, factory_type, taken)
        result.append(_factory(rng, f"{country}-{numbers[country]:05d}", country, name, factory_type, as_of))
    return result


# ---------------------------------------------------------------------------------------------
# Corrections
# ---------------------------------------------------------------------------------------------

# Each correction document re-sends a few published assessments, complete, with one finding
# changed: (reason, question keys to look at, result before, result after, how many latest
# assessments, how many superseded ones).
CORRECTIONS = (
    ("Payroll records re-examined: finding inaccurate at the time of collection",
     ("min_wage", "ot_wages"), "NON_COMPLIANT", "COMPLIANT", 3, 0),
    ("Site visit notes re-checked: emergency exit finding inaccurate at the time of collection",
     ("exits_unlocked", "exits_sufficient"), "COMPLIANT", "NON_COMPLIANT", 1, 1),
)


def _published(data: FactoryData) -> list[dict]:
    return [a for a in data.assessments if a["status"] == "PUBLISHED"]


def _candidates(factories: list[FactoryData], keys: Sequence[str], before: str, latest: bool):
    """(assessment, question id) pairs a correction could change, in factory order."""
    found = []
    for data in factories:
        published = _published(data)
        if len(published) < 2 or "leftProgrammeOn" in data.factory:
            continue
        assessment = published[-1] if latest else published[-2]
        for key in keys:
            question = QUESTION_ID[key]
            if question not in data.public_questions:
                continue
            if any(f["question"] == question and f["result"] == before for f in assessment["findings"]):
                found.append((assessment, question))
                break
    return found


def _corrected(assessment: dict, question: str, after: str) -> dict:
    changed = dict(assessment)
    changed["findings"] = [{"question": question, "result": after} if f["question"] == question else f
                           for f in assessment["findings"]]
    return changed


def _corrections(factories: list[FactoryData], seed: int, exported_at: str) -> list[DemoExport]:
    rng = random.Random(f"{seed}/corrections")
    used: set[str] = set()
    exports = []
    for reason, keys, before, after, latest_count, older_count in CORRECTIONS:
        chosen = []
        for latest, count in ((True, latest_count), (False, older_count)):
            pool = [(a, q) for a, q in _candidates(factories, keys, before, latest) if a["id"] not in used]
            chosen += rng.sample(pool, min(count, len(pool)))
        if not chosen:
            continue
        used.update(a["id"] for a, _ in chosen)
        document = _document(exported_at, assessments=[_corrected(a, q, after) for a, q in chosen])
        exports.append(DemoExport(document, correction_reason=reason))
    return exports


# ---------------------------------------------------------------------------------------------
# Documents
# ---------------------------------------------------------------------------------------------


def _document(exported_at: str, **sections: list) -> dict:
    return {"format": FORMAT, "exportedAt": exported_at, **sections}


def _question_entry(question: Question) -> dict:
    entry = {"id": question.id, "cluster": question.cluster, "title": {"en": question.title}}
    entry["title"].update(TITLE_TRANSLATIONS.get(question.key, {}))
    if question.description:
        entry["description"] = {"en": question.description}
    return entry


def _country_entry(country: CountrySpec, as_of: date) -> dict:
    return {
        "code": country.code, "name": country.name, "languages": list(country.languages),
        "publicReportingSince": _reporting_since(country, as_of).isoformat(),
        "publicQuestions": _public_ids(country),
    }


def _reference_document(exported_at: str, as_of: date) -> DemoExport:
    return DemoExport(_document(
        exported_at,
        questions=[_question_entry(q) for q in QUESTIONS],
        countries=[_country_entry(c, as_of) for c in COUNTRIES],
    ))


def _factory_document(exported_at: str, batch: list[FactoryData]) -> DemoExport:
    return DemoExport(_document(
        exported_at,
        factories=[d.factory for d in batch],
        cycles=[c for d in batch for c in d.cycles],
        assessments=[a for d in batch for a in d.assessments],
        refusals=[r for d in batch for r in d.refusals],
    ))


def generate_demo(factories: int = 1700, seed: int = 20261125, as_of: date | None = None,
                  chunk: int = 100) -> list[DemoExport]:
    """Demo export documents, to import in list order, each in its own transaction.

    Document 0 holds the questions and countries; then come documents of at most `chunk`
    factories with their cycles, assessments and refusals; last, documents with a
    `correction_reason` that re-send a few published assessments with one finding corrected.
    """
    if factories < 0:
        raise ValueError("factories must not be negative")
    if chunk < 1:
        raise ValueError("chunk must be at least 1")
    as_of = as_of or date.today()
    exported_at = f"{as_of.isoformat()}T06:00:00Z"
    data = _factories(factories, seed, as_of)
    exports = [_reference_document(exported_at, as_of)]
    exports += [_factory_document(exported_at, data[i:i + chunk]) for i in range(0, len(data), chunk)]
    exports += _corrections(data, seed, exported_at)
    return exports
